import { freePort, TcpProxy } from '@helios/test-kit';

/** A full mesh of regions for peering tests: a port per region, a proxy per directed link. */
export interface MeshLinks<R extends string> {
  /** The port each region's relay is to listen on (picked up front: peers are fixed at start). */
  readonly ports: Map<R, number>;
  /** `links.get('a->b')` is the proxy through which `a` reaches `b`: cut, heal or slow it alone. */
  readonly links: Map<string, TcpProxy>;
}

/**
 * Picks a free port per region and starts a listening proxy for every ordered pair, forwarding
 * to the target's port. `track` receives each proxy, so the test closes them afterwards.
 */
export async function meshLinks<R extends string>(
  regions: readonly R[],
  track: (proxy: TcpProxy) => void,
): Promise<MeshLinks<R>> {
  const ports = new Map<R, number>();
  for (const region of regions) ports.set(region, await freePort());
  const links = new Map<string, TcpProxy>();
  for (const from of regions) {
    for (const to of regions) {
      if (from === to) continue;
      const proxy = new TcpProxy(ports.get(to)!);
      track(proxy);
      await proxy.listen();
      links.set(`${from}->${to}`, proxy);
    }
  }
  return { ports, links };
}
