/**
 * When a region may fold retired replicas without asking anyone (docs/compaction.md, "Causal
 * stability"): the rule over closure receipts, kept apart from the relay so it can be tested
 * on its own.
 */

/**
 * A region's closure: it refuses every replica id of an epoch below `below`, and its feed after
 * `upTo` holds no write of one. The wire form is the `feed-closed` peer message.
 */
export interface Closure {
  readonly below: number;
  readonly upTo: number;
}

/** What this region knows of one peer region's closure. */
export interface PeerClosure {
  readonly region: string;
  /** The peer's latest closure receipt on the current connection; none before it sends one. */
  readonly receipt: Closure | undefined;
  /** How far this region has durably merged the peer's feed (the same store epoch's feed). */
  readonly mergedUpTo: number;
}

/**
 * The highest fold frontier this region may fold counters to now: every epoch below it is
 * refused here (`own`) and in every peer region, and this region has merged every peer's feed
 * up to that peer's closure receipt, so it holds every write any region ever accepted from
 * those replicas. 0 (fold nothing) while a peer in `regions` has sent no receipt or its feed is
 * not merged up to it: a region that never announces closure holds every fold back, which is
 * the safe side.
 */
export function stableFrontier(
  own: Closure | undefined,
  regions: readonly string[],
  peers: readonly PeerClosure[],
): number {
  let frontier = own?.below ?? 0;
  for (const region of regions) {
    const peer = peers.find((p) => p.region === region);
    const receipt = peer?.receipt;
    if (peer === undefined || receipt === undefined || peer.mergedUpTo < receipt.upTo) return 0;
    frontier = Math.min(frontier, receipt.below);
  }
  return frontier;
}
