import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * A loopback TCP proxy to one target port that a test can cut and heal: the network partition
 * of the client tests (copied from @helios/server's test support, plus byte counters and a
 * one-way hold and delay). Cutting destroys live connections and refuses new ones.
 */
export class TcpProxy {
  readonly #target: number;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #cut = false;
  #holdDown = false;
  #delayDown = 0;
  port = 0;
  /** Bytes forwarded from the target to the connecting side (e.g. relay → client). */
  bytesDown = 0;
  /** Bytes forwarded from the connecting side to the target. */
  bytesUp = 0;

  constructor(targetPort: number) {
    this.#target = targetPort;
    this.#server = createServer((client) => {
      if (this.#cut) {
        client.destroy();
        return;
      }
      const upstream = createConnection({ host: '127.0.0.1', port: this.#target });
      for (const s of [client, upstream]) {
        this.#sockets.add(s);
        s.on('close', () => this.#sockets.delete(s));
        s.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      // Forwarded by hand rather than piped, so bytes can be counted and held.
      client.on('data', (chunk: Buffer) => {
        this.bytesUp += chunk.length;
        upstream.write(chunk);
      });
      upstream.on('data', (chunk: Buffer) => {
        if (this.#holdDown) return; // dropped: the connection is cut before it matters
        this.bytesDown += chunk.length;
        if (this.#delayDown > 0) setTimeout(() => client.write(chunk), this.#delayDown);
        else client.write(chunk);
      });
      client.on('end', () => upstream.end());
      upstream.on('end', () => client.end());
    });
  }

  async listen(port = 0): Promise<string> {
    await new Promise<void>((r) => this.#server.listen(port, '127.0.0.1', r));
    this.port = (this.#server.address() as { port: number }).port;
    return `http://127.0.0.1:${this.port}`;
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
   * Delivers what the target sends `ms` later (in order, if set before the connection is made):
   * a slow link down to the client.
   */
  delayDownstream(ms: number): void {
    this.#delayDown = ms;
  }

  cut(): void {
    this.#cut = true;
    for (const s of this.#sockets) s.destroy();
  }

  heal(): void {
    this.#cut = false;
    this.#holdDown = false;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((r) => this.#server.close(() => r()));
  }
}
