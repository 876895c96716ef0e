import { freePort, TcpProxy, UdpProxy } from '@helios/test-kit';
import type { PeerTransportName } from './peer-transports.js';

/** A full mesh of regions for peering tests: a port per region, a proxy per directed link. */
export interface MeshLinks<R extends string> {
  /** The port each region's relay is to listen on (picked up front: peers are fixed at start). */
  readonly ports: Map<R, number>;
  /**
   * `links.get('a->b')` is the proxy through which `a` reaches `b`: cut, heal or slow it alone.
   * Over QUIC the link also has a {@link UdpProxy} on the same port number that obeys the same
   * link model, so the proxy's `cut()` and `heal()` act on the datagrams too.
   */
  readonly links: Map<string, TcpProxy>;
}

/** How many times a link looks for a port number free for both TCP and UDP. */
const PORT_ATTEMPTS = 5;

/**
 * Picks a free port per region and starts a listening proxy for every ordered pair, forwarding
 * to the target's port. For `'quic'` each link also gets a UDP proxy on the TCP proxy's port
 * number, since a QUIC link dials the UDP port of its peer URL. `track` receives each proxy (TCP
 * and UDP), so the test closes them afterwards.
 */
export async function meshLinks<R extends string>(
  regions: readonly R[],
  track: (proxy: TcpProxy | UdpProxy) => void,
  transport: PeerTransportName = 'ws',
): Promise<MeshLinks<R>> {
  const ports = new Map<R, number>();
  for (const region of regions) ports.set(region, await freePort());
  const links = new Map<string, TcpProxy>();
  for (const from of regions) {
    for (const to of regions) {
      if (from === to) continue;
      links.set(`${from}->${to}`, await proxiedLink(ports.get(to)!, transport, track));
    }
  }
  return { ports, links };
}

/**
 * A proxied peer link to `target` over `transport`: a TCP proxy, and for `'quic'` a UDP proxy
 * on the same port number obeying the same link model, so that `cut()` and `heal()` on the
 * returned proxy act on both. `track` receives each proxy, to be closed afterwards.
 */
export async function proxiedLink(
  target: number,
  transport: PeerTransportName,
  track: (proxy: TcpProxy | UdpProxy) => void,
): Promise<TcpProxy> {
  const proxies = transport === 'ws' ? [await tcpLink(target)] : await tcpAndUdpLink(target);
  for (const proxy of proxies) track(proxy);
  return proxies[0];
}

async function tcpLink(target: number): Promise<TcpProxy> {
  const proxy = new TcpProxy(target);
  await proxy.listen();
  return proxy;
}

/**
 * A TCP proxy to `target` and a UDP proxy on the same port number sharing its link model. The
 * OS picks the TCP port, so that UDP port may be taken: then another port is tried.
 */
async function tcpAndUdpLink(target: number): Promise<[TcpProxy, UdpProxy]> {
  for (let attempt = 1; ; attempt++) {
    const tcp = await tcpLink(target);
    const udp = new UdpProxy(target, { links: tcp.links, from: tcp.from, to: tcp.to });
    try {
      await udp.listen(tcp.port);
      return [tcp, udp];
    } catch (err) {
      await Promise.all([tcp.close(), udp.close()]);
      if (attempt === PORT_ATTEMPTS) throw err;
    }
  }
}
