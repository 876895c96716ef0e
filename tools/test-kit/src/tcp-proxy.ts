import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { LinkModel, type NodeName } from './link-model.js';

/** Where a {@link TcpProxy} sits: the link model it obeys, and the names of its two ends. */
export interface TcpProxyOptions {
  /** The model of the network the proxy is part of. Default: one of its own (no faults). */
  readonly links?: LinkModel;
  /** The connecting side's node. Default `'client'`. */
  readonly from?: NodeName;
  /** The target's node. Default `'target'`. */
  readonly to?: NodeName;
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

  constructor(targetPort: number, options: TcpProxyOptions = {}) {
    this.#target = targetPort;
    this.links = options.links ?? new LinkModel({ seed: targetPort });
    this.from = options.from ?? 'client';
    this.to = options.to ?? 'target';
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
    source.on('data', (chunk: Buffer) => {
      // Unreachable: lost, and the stream with it (the proxy is cut before that matters).
      if (!this.links.reachable(from, to)) return;
      const now = performance.now();
      const [at] = this.links.plan(from, to, now, true);
      if (at === undefined) {
        source.destroy(); // a lost chunk breaks the stream: the connection dies
        return;
      }
      count(chunk.length);
      if (at > now) setTimeout(() => sink.write(chunk), at - now);
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
