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
import { LinkModel } from '@helios/test-kit';
import { startProxyPair } from './proxy-pair.mjs';

/**
 * @typedef {{ latencyMs: number, jitterMs: number }} Delay
 * @typedef {{ name: string } & import('./proxy-pair.mjs').ProxyPair} Link
 */

/**
 * A link to `targetPort` (the peer relay's HTTP port, and its QUIC port).
 * @param {string} name e.g. `A>B`: A's relay dials B's
 * @param {number} targetPort
 * @param {Delay} delay each direction
 * @param {number} seed
 * @returns {Promise<Link>}
 */
async function startLink(name, targetPort, delay, seed) {
  const model = (/** @type {number} */ s) => new LinkModel({ seed: s, conditions: delay });
  const ends = { from: 'dialler', to: 'peer' };
  const { tcp, udp } = await startProxyPair(targetPort, (attempt) => ({
    tcp: { links: model(seed + attempt), ...ends },
    udp: { links: model(seed + 1000 + attempt), ...ends },
  }));
  return { name, tcp, udp };
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
