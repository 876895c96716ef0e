import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * A loopback TCP proxy to one target port, for tests and benchmarks that need a network they
 * control: `cut` is a partition (live connections die, new ones are refused), `heal` ends it,
 * `holdDownstream` loses everything the target sends while the other direction still flows,
 * `delayDownstream` makes that direction a slow link, and the byte counters measure what a real network would carry (WebSocket frames, Socket.IO
 * packets, pings: everything).
 */
export class TcpProxy {
  readonly #target: number;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #cut = false;
  #holdDown = false;
  #delayDown = 0;
  /** The port the proxy listens on (0 until {@link listen} resolves). */
  port = 0;
  /** Bytes forwarded from the connecting side to the target. */
  bytesUp = 0;
  /** Bytes forwarded from the target to the connecting side (e.g. relay → client). */
  bytesDown = 0;
  /** Connections accepted: a reconnect shows as a new one. */
  connections = 0;

  constructor(targetPort: number) {
    this.#target = targetPort;
    this.#server = createServer((client) => this.#accept(client));
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

  get isCut(): boolean {
    return this.#cut;
  }

  /** Zeroes the byte counters. */
  reset(): void {
    this.bytesUp = 0;
    this.bytesDown = 0;
  }

  /**
   * Drops everything the target sends from now on, while still forwarding what the client
   * sends: the relay gets and commits pushes, the client never hears the acks. Meant to be
   * followed by {@link cut}: the dropped bytes leave the stream unusable.
   */
  holdDownstream(): void {
    this.#holdDown = true;
  }

  /**
   * Delivers what the target sends `ms` later, still in order (0: at once): a slow link down to
   * the client.
   */
  delayDownstream(ms: number): void {
    this.#delayDown = ms;
  }

  /** Drops every live connection and refuses new ones: the link is down. */
  cut(): void {
    this.#cut = true;
    for (const s of this.#sockets) s.destroy();
  }

  /** Accepts connections again (and stops holding the downstream). */
  heal(): void {
    this.#cut = false;
    this.#holdDown = false;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(client: Socket): void {
    if (this.#cut) {
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
    // Forwarded by hand rather than piped, so bytes can be counted and held; backpressure is
    // kept by pausing the reading side while the writing side's buffer is full.
    client.on('data', (chunk: Buffer) => {
      this.bytesUp += chunk.length;
      if (!upstream.write(chunk)) client.pause();
    });
    upstream.on('drain', () => client.resume());
    upstream.on('data', (chunk: Buffer) => {
      if (this.#holdDown) return; // lost: the connection is cut before it matters
      this.bytesDown += chunk.length;
      if (this.#delayDown > 0) setTimeout(() => client.write(chunk), this.#delayDown);
      else if (!client.write(chunk)) upstream.pause();
    });
    client.on('drain', () => upstream.resume());
  }
}

/** A proxy to `targetPort`, listening on a port the OS picked. */
export async function startProxy(targetPort: number): Promise<TcpProxy> {
  const proxy = new TcpProxy(targetPort);
  await proxy.listen();
  return proxy;
}
