/**
 * A TCP proxy and a UDP proxy on one port number, in front of one relay port: what a peer link
 * dials when it may speak either transport. A Socket.IO link dials the URL's TCP port; a QUIC
 * link dials the UDP port of the same URL (docs/quic.md), so both proxies must share the number.
 */
import { TcpProxy, UdpProxy } from '@helios/test-kit';

/**
 * @typedef {{ tcp: TcpProxy, udp: UdpProxy }} ProxyPair
 * @typedef {{ tcp?: import('@helios/test-kit').TcpProxyOptions,
 *   udp?: import('@helios/test-kit').UdpProxyOptions }} PairOptions
 */

/**
 * Starts both proxies to `targetPort`. The UDP proxy binds the TCP proxy's port; a port free
 * for TCP but taken for UDP is given up and another tried, up to 10 times.
 * @param {number} targetPort
 * @param {(attempt: number) => PairOptions} [options] the proxies' options for each attempt
 *   (a benchmark seeding its link models per attempt)
 * @returns {Promise<ProxyPair>}
 */
export async function startProxyPair(targetPort, options = () => ({})) {
  for (let attempt = 0; attempt < 10; attempt++) {
    const opts = options(attempt);
    const tcp = new TcpProxy(targetPort, opts.tcp);
    await tcp.listen();
    // One path each way, as the TCP proxy's chunks: jitter varies the delay, never the order
    // (independent per-datagram jitter would reorder a QUIC flow as no single path does).
    const udp = new UdpProxy(targetPort, { ordered: true, ...opts.udp });
    try {
      await udp.listen(tcp.port);
      return { tcp, udp };
    } catch {
      await Promise.all([tcp.close(), udp.close().catch(() => {})]);
    }
  }
  throw new Error(`no port free for both TCP and UDP in front of port ${targetPort}`);
}
