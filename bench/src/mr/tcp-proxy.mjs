/**
 * A loopback TCP proxy to one target port that counts the bytes it carries and can be cut and
 * healed. Relay peer links go through one proxy per direction (cut = network partition), and a
 * client whose traffic is measured connects through one of its own (bytes on the wire, framing
 * included: WebSocket frames, Socket.IO packets, pings, everything a network would carry).
 */
import { createConnection, createServer } from 'node:net';

export class TcpProxy {
  /** Bytes from the connecting side to the target, and back. */
  bytesUp = 0;
  bytesDown = 0;
  /** Connections accepted (a reconnect shows as a new one). */
  connections = 0;
  port = 0;
  #cut = false;
  #target;
  /** @type {Set<import('node:net').Socket>} */
  #sockets = new Set();
  #server;

  /** @param {number} targetPort */
  constructor(targetPort) {
    this.#target = targetPort;
    this.#server = createServer((client) => {
      if (this.#cut) {
        client.destroy();
        return;
      }
      this.connections++;
      client.setNoDelay(true);
      const upstream = createConnection({ host: '127.0.0.1', port: this.#target });
      upstream.setNoDelay(true);
      const both = [client, upstream];
      const kill = () => {
        for (const s of both) s.destroy();
      };
      for (const s of both) {
        this.#sockets.add(s);
        s.on('close', () => {
          this.#sockets.delete(s);
          kill();
        });
        s.on('error', kill);
      }
      client.on('data', (chunk) => {
        this.bytesUp += chunk.length;
        if (!upstream.write(chunk)) client.pause();
      });
      upstream.on('drain', () => client.resume());
      upstream.on('data', (chunk) => {
        this.bytesDown += chunk.length;
        if (!client.write(chunk)) upstream.pause();
      });
      client.on('drain', () => upstream.resume());
    });
  }

  /** @returns {Promise<string>} the proxy's URL */
  async listen() {
    await new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(0, '127.0.0.1', () => resolve(undefined));
    });
    this.port = /** @type {import('node:net').AddressInfo} */ (this.#server.address()).port;
    return this.url;
  }

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  get isCut() {
    return this.#cut;
  }

  /** Byte counters since the last reset. */
  reset() {
    this.bytesUp = 0;
    this.bytesDown = 0;
  }

  /** Drops every live connection and refuses new ones: the link is down. */
  cut() {
    this.#cut = true;
    for (const s of this.#sockets) s.destroy();
  }

  heal() {
    this.#cut = false;
  }

  async close() {
    this.cut();
    await new Promise((resolve) => this.#server.close(() => resolve(undefined)));
  }
}

/**
 * A proxy started on a free port.
 * @param {number} targetPort
 */
export async function startProxy(targetPort) {
  const proxy = new TcpProxy(targetPort);
  await proxy.listen();
  return proxy;
}
