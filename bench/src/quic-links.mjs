/**
 * The peer links of the QUIC benchmark: for each directed link (a relay dialling its peer), a
 * TCP proxy and a UDP proxy on the same port number in front of the peer, both obeying one
 * seeded link model. A Socket.IO link dials the TCP one; a QUIC link dials the UDP port of the
 * same URL. Every fault is applied to both, so whichever protocol a link speaks meets the same
 * network: one-way delay with jitter, loss (TCP: a retransmission stall, see test-kit's
 * `SegmentLoss`; UDP: the datagram is gone), a rebinding middlebox, a blackout. Each proxy has
 * a link model of its own (same conditions, own seed): the TCP proxy would break its
 * connections on the model's `dropRate`, which is how the UDP proxy loses datagrams.
 */
import { LinkModel, TcpProxy, UdpProxy } from '@helios/test-kit';

/**
 * @typedef {{ latencyMs: number, jitterMs: number }} Delay
 * @typedef {{ name: string, tcp: TcpProxy, udp: UdpProxy }} Link
 */

/**
 * A link to `targetPort` (the peer relay's HTTP port, and its QUIC port). The UDP proxy binds
 * the TCP proxy's port number; a port free for TCP but taken for UDP is tried again.
 * @param {string} name e.g. `A>B`: A's relay dials B's
 * @param {number} targetPort
 * @param {Delay} delay each direction
 * @param {number} seed
 * @returns {Promise<Link>}
 */
async function startLink(name, targetPort, delay, seed) {
  for (let attempt = 0; attempt < 10; attempt++) {
    const model = (/** @type {number} */ s) => new LinkModel({ seed: s, conditions: delay });
    const ends = { from: 'dialler', to: 'peer' };
    const tcp = new TcpProxy(targetPort, { links: model(seed + attempt), ...ends });
    await tcp.listen();
    // One path each way, as the TCP proxy's chunks: jitter varies the delay, never the order
    // (independent per-datagram jitter would reorder a QUIC flow as no single path does).
    const udp = new UdpProxy(targetPort, {
      links: model(seed + 1000 + attempt),
      ordered: true,
      ...ends,
    });
    try {
      await udp.listen(tcp.port);
      return { name, tcp, udp };
    } catch {
      await Promise.all([tcp.close(), udp.close().catch(() => {})]);
    }
  }
  throw new Error(`no port free for both TCP and UDP for link ${name}`);
}

/**
 * Both links between regions A and B (A dials B, B dials A), with the faults of the benchmark.
 * @param {{ A: number, B: number }} relayPorts
 * @param {Delay} delay
 * @param {number} seed
 */
export async function startLinks(relayPorts, delay, seed) {
  const all = [
    await startLink('A>B', relayPorts.B, delay, seed),
    await startLink('B>A', relayPorts.A, delay, seed + 100),
  ];
  const [aToB, bToA] = /** @type {[Link, Link]} */ (all);
  return {
    /** The URL A's relay dials for B, and B's for A. */
    urls: { A: aToB.tcp.url, B: bToA.tcp.url },
    /**
     * Loss `rate` per chunk (TCP, stalling for the RTO, or for `stallMs` when given) and per
     * datagram (UDP), both directions.
     * @param {number} rate
     * @param {number} [stallMs]
     */
    setLoss(rate, stallMs) {
      for (const l of all) {
        l.tcp.segmentLoss =
          rate > 0 ? { rate, ...(stallMs === undefined ? {} : { stallMs }) } : undefined;
        l.udp.links.set('dialler', 'peer', { ...delay, dropRate: rate });
        l.udp.links.set('peer', 'dialler', { ...delay, dropRate: rate });
      }
    },
    /** A middlebox losing its flow table: TCP connections reset, UDP flows on new ports. */
    async rebind() {
      for (const l of all) l.tcp.resetConnections();
      await Promise.all(all.map((l) => l.udp.rebind()));
    },
    /** Nothing crosses either link until {@link heal}; nothing is reset. */
    blackout() {
      for (const l of all) {
        l.tcp.blackout();
        l.udp.cut();
      }
    },
    heal() {
      for (const l of all) {
        l.tcp.heal();
        l.udp.heal();
      }
    },
    /** The TCP proxies' RTO (ms), the stall of a lost chunk. */
    rtoMs: () => aToB.tcp.rtoMs(),
    /** What crossed each link so far, per protocol. */
    counters() {
      return Object.fromEntries(
        all.map((l) => [
          l.name,
          {
            tcp: {
              bytesUp: l.tcp.bytesUp,
              bytesDown: l.tcp.bytesDown,
              connections: l.tcp.connections,
              segmentsLost: l.tcp.segmentsLost,
            },
            udp: { up: { ...l.udp.up }, down: { ...l.udp.down }, bindings: l.udp.bindings },
          },
        ]),
      );
    },
    async close() {
      await Promise.all(all.flatMap((l) => [l.tcp.close(), l.udp.close()]));
    },
  };
}
