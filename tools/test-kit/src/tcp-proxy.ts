import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { LinkModel, type NodeName } from './link-model.js';
import { StreamLane } from './stream-lane.js';

/**
 * TCP's recovery of lost segments, as a {@link TcpProxy} models it (instead of a lost chunk
 * breaking the connection): each chunk forwarded in a direction is lost with probability `rate`;
 * the sender retransmits it once its retransmission timeout (RTO) expires, so it arrives `stallMs`
 * late, and every later chunk of that direction waits behind it (the receiver delivers in order:
 * head-of-line blocking). Nothing is corrupted or dropped.
 *
 * The default stall is Linux's RTO on a path of steady RTT: `srtt + max(4·rttvar, 200 ms)` with
 * `rttvar` near 0, i.e. RTT + 200 ms, where RTT is the sum of the model's one-way latencies (plus
 * half of each jitter). Fast retransmit (duplicate acks, RACK) recovers a loss in about one RTT
 * when later segments follow it soon enough; the model does not credit that, so it is close when
 * a lost segment is the last of a burst (no duplicate acks: the RTO, or a tail loss probe at
 * about 2·RTT) and pessimistic for TCP under steady traffic. A smaller `stallMs` (about one RTT
 * plus the time three more segments take to be sent) credits it.
 */
export interface SegmentLoss {
  /** Probability that a chunk is lost, in each direction. */
  readonly rate: number;
  /** How long a loss stalls its direction (ms): the RTO. Default: RTT + 200 ms. */
  readonly stallMs?: number;
}

/** Linux's minimum RTO term (`TCP_RTO_MIN`), added to the RTT for the default stall. */
const RTO_MIN_MS = 200;

/** Where a {@link TcpProxy} sits: the link model it obeys, and the names of its two ends. */
export interface TcpProxyOptions {
  /** The model of the network the proxy is part of. Default: one of its own (no faults). */
  readonly links?: LinkModel;
  /** The connecting side's node. Default `'client'`. */
  readonly from?: NodeName;
  /** The target's node. Default `'target'`. */
  readonly to?: NodeName;
  /** Lost chunks stall their direction instead of breaking the connection (default: off). */
  readonly segmentLoss?: SegmentLoss;
}

/**
 * A loopback TCP proxy to one target port, for tests and benchmarks that need a network they
 * control. What crosses it obeys a {@link LinkModel} (its own, or one shared by a mesh of
 * proxies, ends named `from` and `to`): a message of the model is a chunk of the stream, so its
 * latency and jitter delay the chunk (in order), a drop breaks the connection, and a cut stops a
 * direction. While the connecting side cannot reach the target, live connections die and new
 * ones are refused; while the target cannot reach the connecting side, what it sends is lost.
 * `cut`, `heal`, `holdDownstream` and `delayDownstream` set the model for this proxy's link; the
 * byte counters measure what a real network would carry (WebSocket frames, Socket.IO packets,
 * pings: everything).
 *
 * Three faults model what TCP itself does rather than what the model's messages do:
 * {@link segmentLoss} (a lost chunk is retransmitted after the RTO, holding the stream behind
 * it), {@link blackout} (a silent dead path: connections stay open, nothing crosses, and after
 * {@link heal} the stream resumes at the sender's next retransmission) and
 * {@link resetConnections} (a middlebox that lost its flow table: connections are reset, new
 * ones are accepted).
 */
export class TcpProxy {
  /** The link model the proxy obeys. */
  readonly links: LinkModel;
  readonly from: NodeName;
  readonly to: NodeName;
  readonly #target: number;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  readonly #unsubscribe: () => void;
  /** The port the proxy listens on (0 until {@link listen} resolves). */
  port = 0;
  /** Bytes forwarded from the connecting side to the target. */
  bytesUp = 0;
  /** Bytes forwarded from the target to the connecting side (e.g. relay → client). */
  bytesDown = 0;
  /** Connections accepted: a reconnect shows as a new one. */
  connections = 0;
  /** Lost chunks of {@link segmentLoss} (each stalled its direction). */
  segmentsLost = 0;
  /** Lost chunks stall their direction when set (see {@link SegmentLoss}); may change any time. */
  segmentLoss: SegmentLoss | undefined;
  /** Every live direction of every connection, to release a blackout's held chunks. */
  readonly #lanes = new Set<StreamLane>();
  /** Set while a {@link blackout} holds everything. */
  #blackout = false;

  constructor(targetPort: number, options: TcpProxyOptions = {}) {
    this.#target = targetPort;
    this.links = options.links ?? new LinkModel({ seed: targetPort });
    this.from = options.from ?? 'client';
    this.to = options.to ?? 'target';
    this.segmentLoss = options.segmentLoss;
    this.#server = createServer((client) => this.#accept(client));
    this.#unsubscribe = this.links.onChange(() => {
      if (this.isCut) this.#destroyAll();
    });
  }

  /** Listens on `port` (default: one the OS picks) and resolves with the proxy's URL. */
  async listen(port = 0): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (this.#server.address() as { port: number }).port;
    return this.url;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** True while the connecting side cannot reach the target. */
  get isCut(): boolean {
    return !this.links.reachable(this.from, this.to);
  }

  /** Zeroes the byte counters. */
  reset(): void {
    this.bytesUp = 0;
    this.bytesDown = 0;
  }

  /**
   * Drops everything the target sends from now on, while still forwarding what the client
   * sends: the relay gets and commits pushes, the client never hears the acks (a one-way cut in
   * the model). Meant to be followed by {@link cut}: the dropped bytes leave the stream unusable.
   */
  holdDownstream(): void {
    this.links.cut(this.to, this.from);
  }

  /**
   * Delivers what the target sends `ms` later, still in order (0: at once): a slow link down to
   * the client (the model's latency from target to client).
   */
  delayDownstream(ms: number): void {
    this.links.set(this.to, this.from, {
      ...this.links.conditions(this.to, this.from),
      latencyMs: ms,
    });
  }

  /**
   * Drops every live connection and refuses new ones: the link is down (both directions between
   * the proxy's ends, in its link model).
   */
  cut(): void {
    this.links.cut(this.from, this.to);
    this.links.cut(this.to, this.from);
  }

  /** Accepts connections again, and stops holding the downstream (both directions, in the model). */
  heal(): void {
    this.links.heal(this.from, this.to);
    if (!this.#blackout) return;
    // The held chunks arrive with the sender's first retransmission after the path is back:
    // TCP retransmits at RTO, 3·RTO, 7·RTO… after the first unacknowledged segment.
    this.#blackout = false;
    const healedAt = performance.now();
    const rto = this.rtoMs();
    for (const lane of this.#lanes) {
      lane.release((since) => {
        let gap = rto;
        let at = since + gap;
        while (at < healedAt) {
          gap *= 2;
          at += gap;
        }
        return at + this.#oneWayMs(this.from, this.to);
      });
    }
  }

  /**
   * A silent dead path: connections stay open but nothing crosses either way until {@link heal}
   * (which is when the held chunks resume, at the sender's next retransmission). New
   * connections are still accepted: their bytes are held too.
   */
  blackout(): void {
    this.#blackout = true;
  }

  /**
   * Resets every live connection and keeps accepting new ones: a middlebox (NAT, load balancer)
   * that lost its flow table answers the next segment of each connection with a reset.
   */
  resetConnections(): void {
    for (const s of this.#sockets) s.resetAndDestroy();
  }

  /** The retransmission timeout of the stall model (ms): see {@link SegmentLoss}. */
  rtoMs(): number {
    return (
      this.segmentLoss?.stallMs ??
      this.#oneWayMs(this.from, this.to) + this.#oneWayMs(this.to, this.from) + RTO_MIN_MS
    );
  }

  /** The model's mean one-way delay of `from → to` (ms). */
  #oneWayMs(from: NodeName, to: NodeName): number {
    const c = this.links.conditions(from, to);
    return c.latencyMs + c.jitterMs / 2;
  }

  /** Drops every live connection and stops listening (the model is left as it is). */
  async close(): Promise<void> {
    this.#unsubscribe();
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#destroyAll();
    await closed;
  }

  #destroyAll(): void {
    for (const s of this.#sockets) s.destroy();
  }

  #accept(client: Socket): void {
    if (this.isCut) {
      client.destroy();
      return;
    }
    this.connections++;
    const upstream = createConnection({ host: '127.0.0.1', port: this.#target });
    const both = [client, upstream];
    const kill = (): void => {
      for (const s of both) s.destroy();
    };
    for (const s of both) {
      s.setNoDelay(true);
      this.#sockets.add(s);
      s.on('close', () => {
        this.#sockets.delete(s);
        kill();
      });
      s.on('error', kill);
    }
    // Forwarded by hand rather than piped, so bytes can be counted, delayed and lost;
    // backpressure is kept by pausing the reading side while the writing side's buffer is full.
    this.#forward(client, upstream, this.from, this.to, (n) => {
      this.bytesUp += n;
    });
    this.#forward(upstream, client, this.to, this.from, (n) => {
      this.bytesDown += n;
    });
  }

  /** Carries `source`'s chunks to `sink` as the model decides for `from → to`. */
  #forward(
    source: Socket,
    sink: Socket,
    from: NodeName,
    to: NodeName,
    count: (bytes: number) => void,
  ): void {
    const lane = new StreamLane((chunk) => sink.write(chunk));
    this.#lanes.add(lane);
    source.on('close', () => {
      lane.close();
      this.#lanes.delete(lane);
    });
    source.on('data', (chunk: Buffer) => {
      // Unreachable: lost, and the stream with it (the proxy is cut before that matters).
      if (!this.links.reachable(from, to)) return;
      const now = performance.now();
      if (this.#blackout) {
        count(chunk.length);
        lane.hold(chunk, now);
        return;
      }
      const [at] = this.links.plan(from, to, now, true);
      if (at === undefined) {
        source.destroy(); // a lost chunk breaks the stream: the connection dies
        return;
      }
      count(chunk.length);
      const loss = this.segmentLoss;
      if (loss !== undefined && this.links.rng.chance(loss.rate)) {
        // Retransmitted after the RTO, then one way across: everything behind it waits.
        this.segmentsLost++;
        lane.stallUntil(Math.max(at, now + this.rtoMs() + this.#oneWayMs(from, to)));
      }
      if (at > now || !lane.idle) lane.push(chunk, at);
      else if (!sink.write(chunk)) source.pause();
    });
    sink.on('drain', () => source.resume());
  }
}

/** A proxy to `targetPort`, listening on a port the OS picked. */
export async function startProxy(
  targetPort: number,
  options: TcpProxyOptions = {},
): Promise<TcpProxy> {
  const proxy = new TcpProxy(targetPort, options);
  await proxy.listen();
  return proxy;
}
