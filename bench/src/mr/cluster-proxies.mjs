/**
 * The proxies a proxied five-region cluster (cluster.mjs) routes through: one per directed peer
 * link (relay A pulling B's feed dials a proxy of its own in front of B), which can be cut and
 * may carry the jittered inter-region delay (link-jitter.mjs), and optionally one per relay and
 * client region in front of the relay's client port (delayed by the distance between the two
 * regions), cut when the relay's region is partitioned so that its clients lose their home
 * relay as well.
 */
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { LinkModel, startProxy } from '@helios/test-kit';
import { startProxyPair } from '../proxy-pair.mjs';
import { jitterConditions, RecordingLinkModel } from './link-jitter.mjs';

/**
 * One proxy's way through: a TCP proxy (what a WebSocket link or a client dials) and, for QUIC
 * links, a UDP proxy on the same port number (what a QUIC link dials for the same URL). The
 * link models are those of its proxies that carry a delay (none without one).
 * @typedef {{ url: string, models: RecordingLinkModel[], cut(): void, heal(): void,
 *   close(): Promise<void> }} LinkProxy
 */

/**
 * Binds TCP and UDP on each of `ports` until `release`, so that nothing else the OS hands a port
 * to meanwhile gets one of them.
 * @param {number[]} ports
 */
export async function holdPorts(ports) {
  /** @type {(() => Promise<void>)[]} */
  const releases = [];
  for (const port of ports) {
    const tcp = createServer();
    await new Promise((resolve) => tcp.listen(port, '127.0.0.1', () => resolve(undefined)));
    const udp = createSocket('udp4');
    await new Promise((resolve) => udp.bind(port, '127.0.0.1', () => resolve(undefined)));
    releases.push(async () => {
      await new Promise((resolve) => tcp.close(() => resolve(undefined)));
      await new Promise((resolve) => udp.close(() => resolve(undefined)));
    });
  }
  return { release: () => Promise.all(releases.map((r) => r())) };
}

/**
 * A proxy in front of `port` for a peer link over `peerTransport`, cut and healed as one. With
 * `delay`, each direction delays what crosses by `oneWayMs` ± `jitter` of it (uniform, in
 * order), and records what it applied; the link's ends are named after the two regions, so a
 * model's recorded key `${A}>${B}` is data travelling from region A to region B.
 * @param {number} port
 * @param {import('./peer-transport.mjs').PeerTransport} peerTransport
 * @param {{ puller: string, served: string, oneWayMs: number, jitter: number,
 *   seed: number }} [delay]
 * @returns {Promise<LinkProxy>}
 */
export async function startLinkProxy(port, peerTransport, delay) {
  /** @type {RecordingLinkModel[]} */
  const models = [];
  const model = (/** @type {number} */ seed) => {
    if (delay === undefined) return {};
    const links = new RecordingLinkModel({
      seed,
      conditions: jitterConditions(delay.oneWayMs, delay.jitter),
    });
    models.push(links);
    return { links, from: delay.puller, to: delay.served };
  };
  const seed = delay?.seed ?? port;
  if (peerTransport === 'ws') {
    const tcp = await startProxy(port, model(seed));
    return {
      url: tcp.url,
      models,
      cut: () => tcp.cut(),
      heal: () => tcp.heal(),
      close: () => tcp.close(),
    };
  }
  const { tcp, udp } = await startProxyPair(port, (attempt) => {
    models.length = 0; // the models of a failed attempt's proxies carry nothing
    return { tcp: model(seed + attempt), udp: model(seed + 1000 + attempt) };
  });
  const both = [tcp, udp];
  return {
    url: tcp.url,
    models,
    cut: () => {
      for (const p of both) p.cut();
    },
    heal: () => {
      for (const p of both) p.heal();
    },
    close: async () => {
      await Promise.all(both.map((p) => p.close()));
    },
  };
}

/**
 * A TCP proxy in front of a relay's client port for the clients of one region: both ways
 * delayed by `oneWayMs` (0 for the relay's own region), in order. Cutting it drops every client
 * connection and refuses new ones, health probes too.
 * @param {number} port
 * @param {number} oneWayMs
 * @returns {Promise<LinkProxy>}
 */
export async function startClientProxy(port, oneWayMs) {
  const links = new LinkModel({ seed: port, conditions: { latencyMs: oneWayMs } });
  const tcp = await startProxy(port, { links });
  return {
    url: tcp.url,
    models: [],
    cut: () => tcp.cut(),
    heal: () => tcp.heal(),
    close: () => tcp.close(),
  };
}
