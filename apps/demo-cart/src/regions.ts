/** One region of the demo, as /config.json names it. */
export interface RegionConfig {
  readonly region: string;
  readonly url: string;
}

/** The home region a tab was asked for: known, or a name that no relay serves. */
export type RegionChoice =
  | { readonly kind: 'known'; readonly region: string }
  | { readonly kind: 'unknown'; readonly region: string };

/**
 * `?region=` wins over the region remembered from last time, which wins over the first region.
 * A remembered region that is gone (another relay list) is forgotten quietly; one asked for in
 * the address is reported, since falling back to another region would hide the typo.
 */
export function chooseRegion(
  regions: readonly RegionConfig[],
  asked: string | null,
  remembered: string | null,
): RegionChoice {
  const known = (name: string | null) => regions.some((r) => r.region === name);
  if (asked !== null) return { kind: known(asked) ? 'known' : 'unknown', region: asked };
  return { kind: 'known', region: known(remembered) ? remembered! : regions[0]!.region };
}

/** Relays with the home region first: the client fails over to the others in this order. */
export function relayOrder(regions: readonly RegionConfig[], home: string): string[] {
  const first = regions.find((r) => r.region === home) ?? regions[0]!;
  return [first.url, ...regions.filter((r) => r !== first).map((r) => r.url)];
}
