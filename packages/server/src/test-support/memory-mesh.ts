import { pino } from 'pino';
import type { RelayOptions } from '../options.js';
import { createRelay, type Relay } from '../relay.js';
import { MemoryStore } from '../store/memory-store.js';
import { meshLinks } from './mesh-links.js';
import type { PeerTransportName } from './peer-transports.js';

/** A full mesh of relays on memory stores, each link through its own proxy (see meshLinks). */
export interface MemoryMesh<R extends string> {
  readonly relays: Map<R, { relay: Relay; url: string }>;
  /** Cuts (or heals) every link to and from `region`; its clients still reach it. */
  partition(region: R, cut: boolean): void;
}

/**
 * Starts one anonymous relay per region, on a memory store, peered with every other region
 * through {@link meshLinks}' proxies; `options` adds what the test is about. `track` receives
 * every relay and proxy, so the test closes them afterwards.
 */
export async function startMemoryMesh<R extends string>(
  regions: readonly R[],
  track: (closable: { close(): unknown }) => void,
  options: Partial<RelayOptions> = {},
  transport: PeerTransportName = 'ws',
): Promise<MemoryMesh<R>> {
  const { ports, links } = await meshLinks(regions, track, transport);
  const relays = new Map<R, { relay: Relay; url: string }>();
  for (const region of regions) {
    const relay = createRelay({
      region,
      store: new MemoryStore({ region }),
      anonymous: true,
      logger: pino({ level: 'silent' }),
      ...options,
      peerTransport: transport,
      peers: regions
        .filter((r) => r !== region)
        .map((r) => ({ region: r, url: links.get(`${region}->${r}`)!.url })),
    });
    track(relay);
    const { url } = await relay.listen(ports.get(region)!);
    relays.set(region, { relay, url });
  }
  const partition = (region: R, cut: boolean) => {
    for (const [key, proxy] of links) {
      if (key.startsWith(`${region}->`) || key.endsWith(`->${region}`)) {
        if (cut) proxy.cut();
        else proxy.heal();
      }
    }
  };
  return { relays, partition };
}
