/**
 * Load clients for the relay benchmark, and what the clients of one run share (`LoadStats`).
 * `HeliosClient` speaks the Helios wire protocol over socket.io-client (websocket transport, one
 * connection and one replica id per client), as the SDK does; the Yjs servers' clients are in
 * yjs-clients.mjs.
 *
 * A client does not merge what it receives: the benchmark measures the server, and merging 9
 * copies of every delta would only spend the load generator's single core. A received delta is
 * recognised by the dots it carries, decoded once for all the clients that receive the same bytes.
 */
import { backoffMs } from '@helios/client';
import { newReplicaId, orMap, PNCounter } from '@helios/core';
import { decodeMessage, encodeMessage, PROTOCOL_VERSION } from '@helios/core/protocol';
import { socketParser } from '@helios/transport';
import { io } from 'socket.io-client';

export const Cart = orMap(PNCounter);
const CART_TYPE = Cart.encode(Cart.empty());
/** The 20 keys a client writes to, in turn. */
export const ITEMS = Array.from({ length: 20 }, (_, i) => `sku-${String(i).padStart(4, '0')}`);

// Message kind codes (packages/core/src/protocol/message-codec.ts, KINDS order + 1).
const WELCOME = 1;
const SYNC = 2;
const DELTA = 3;
const ACK = 4;
const REPLICATED = 5;
const ERROR = 6;

/**
 * What the clients of one run share: counters, and the send times of deltas in flight, keyed
 * by the bytes a receiver will see (so a receiver finds the send time without decoding).
 */
export class LoadStats {
  acked = 0;
  sent = 0;
  fanout = 0;
  /** Fan-out messages whose bytes matched no delta sent in this run (must stay 0). */
  unmatched = 0;
  replicated = 0;
  /** @type {string[]} */
  errors = [];
  /** Connections lost during the run (reasons); a lost client stops acking and receiving. */
  /** @type {string[]} */
  disconnects = [];
  /** When set, push→ack and push→other-client latencies (ms) are recorded. */
  timing = false;
  /** @type {number[]} */
  ackMs = [];
  /** @type {number[]} */
  fanoutMs = [];
  /** @type {Map<string, number>} fan-out key → send time (performance.now) */
  inFlight = new Map();
  /**
   * The dots of fan-out messages received lately, by their bytes. The relay sends one message
   * to every subscriber of a document, so up to nine clients of this process receive the same
   * bytes: decoding them once spares the generator's core, which the relay shares.
   * @type {Map<string, { replica: string, key: string }[]>}
   */
  dotsOf = new Map();

  /**
   * The dots a fan-out message carries, each with its fan-out key.
   * @param {Uint8Array} bytes
   */
  receivedDots(bytes) {
    const id = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
    let dots = this.dotsOf.get(id);
    if (dots === undefined) {
      const m = /** @type {import('@helios/core').DeltaEvent} */ (decodeMessage(bytes));
      dots = [...Cart.liveDots(Cart.decode(m.delta)).dots()].map((d) => ({
        replica: d.replica,
        key: `${d.replica}:${d.seq}`,
      }));
      // Bounded: a message's receivers all have it within a few milliseconds.
      if (this.dotsOf.size >= 50_000) this.dotsOf.clear();
      this.dotsOf.set(id, dots);
    }
    return dots;
  }

  reset() {
    this.acked = 0;
    this.sent = 0;
    this.fanout = 0;
    this.unmatched = 0;
    this.replicated = 0;
    this.ackMs = [];
    this.fanoutMs = [];
    this.inFlight.clear();
    this.dotsOf.clear();
  }
}

/**
 * One Helios client: a socket, a replica id, the carts it writes to (its own writes only), and
 * pushes awaiting their ack.
 */
export class HeliosClient {
  /**
   * @param {string} url
   * @param {string[]} docs documents to subscribe to; `push` writes to one of them
   * @param {LoadStats} stats
   */
  constructor(url, docs, stats) {
    this.stats = stats;
    this.replica = newReplicaId();
    this.me = { replica: this.replica };
    /** @type {Map<string, ReturnType<typeof Cart.empty>>} */
    this.carts = new Map(docs.map((d) => [d, Cart.empty()]));
    this.nextId = 1;
    /** The last entry id of each push in flight → send time and entry count. @type {Map<number, {at: number, n: number}>} */
    this.pending = new Map();
    /** Entries pushed and not yet acked. */
    this.outstanding = 0;
    /** Called after each ack (the saturating driver pushes again from here). */
    this.onAck = () => {};
    /** @type {((kind: number) => void) | undefined} */
    this.waiter = undefined;
    this.url = url;
    this.closing = false;
    /**
     * Called when the connection is lost or an attempt fails, instead of counting a disconnect.
     * @type {(() => void) | undefined}
     */
    this.onLost = undefined;
    this.socket = this.#dial(30_000);
  }

  /**
   * A new connection to the relay with this client's replica id (Socket.IO's own reconnection
   * off, as in the SDK's transport: reconnecting is the caller's business).
   * @param {number} timeoutMs how long the handshake may take before the attempt fails
   */
  #dial(timeoutMs) {
    const socket = io(this.url, {
      auth: { protocol: PROTOCOL_VERSION, replicas: [this.replica] },
      transports: ['websocket'],
      parser: socketParser,
      reconnection: false,
      forceNew: true,
      timeout: timeoutMs,
    });
    socket.on('h', (/** @type {Uint8Array} */ payload) => this.#receive(payload));
    this.lost = false;
    socket.on('disconnect', (reason) => {
      this.lost = true;
      if (this.onLost) this.onLost();
      else if (!this.closing) this.stats.disconnects.push(reason);
    });
    socket.on('connect_error', () => this.onLost?.());
    return socket;
  }

  /**
   * Comes back after the relay went away, as the SDK's `RelayConnection` does with one relay:
   * the first dial 250 ms after the connection is lost, then after each failed attempt (refused,
   * or no handshake within 5 s) 500 ms, 1 s, 2 s, 4 s, then every 5 s, each delay drawn from the
   * upper half of its step (`backoffMs` of @helios/client, the SDK's own function). On the
   * welcome it does what the SDK's client does: one `subscribe` of every document with its
   * digest, then the outbox (here one write made while offline). Call it before the relay goes
   * away. Resolves with the time (performance.now) at which both sync replies and the ack are
   * in, when the dial that got through started, and the number of dials it took.
   * @returns {Promise<{ at: number, dialledAt: number, dials: number }>}
   */
  rejoin() {
    return new Promise((resolve) => {
      let failures = 0;
      let dials = 0;
      const retry = () => {
        this.onLost = undefined; // one retry per attempt (a failed attempt may report twice)
        failures++;
        setTimeout(dial, backoffMs(failures)); // the SDK's schedule, jitter included
      };
      const dial = () => {
        this.socket.removeAllListeners();
        this.socket.close();
        this.waiter = undefined;
        this.onAck = () => {};
        dials++;
        const dialledAt = performance.now();
        this.socket = this.#dial(5_000);
        this.onLost = retry;
        let waiting = -1; // sync replies and the ack still due, once welcomed
        const settle = () => {
          if (--waiting > 0) return;
          this.onLost = undefined;
          this.waiter = undefined;
          this.onAck = () => {};
          resolve({ at: performance.now(), dialledAt, dials });
        };
        this.waiter = (kind) => {
          if (kind === WELCOME && waiting < 0) {
            // Pushes of the lost connection will never be acked: the SDK re-sends its outbox.
            this.pending.clear();
            this.outstanding = 0;
            waiting = this.carts.size + 1;
            this.socket.emit('h', this.#subscribeMessage([...this.carts.keys()]));
            this.push(/** @type {string} */ (this.carts.keys().next().value), 1);
            this.onAck = settle;
          } else if (kind === SYNC && waiting > 0) settle();
        };
      };
      this.onLost = retry;
    });
  }

  /** @param {string[]} docs */
  #subscribeMessage(docs) {
    return encodeMessage({
      kind: 'subscribe',
      docs: docs.map((doc) => ({
        doc,
        type: CART_TYPE,
        digest: Cart.digest(/** @type {ReturnType<typeof Cart.empty>} */ (this.carts.get(doc))),
      })),
    });
  }

  /** @param {Uint8Array} bytes */
  #receive(bytes) {
    const kind = bytes[1];
    const stats = this.stats;
    if (kind === DELTA) {
      const now = performance.now();
      // Count the other writers' deltas this message delivers (a joined delta may carry several).
      let delivered = 0;
      for (const dot of stats.receivedDots(bytes)) {
        if (dot.replica === this.replica) continue;
        delivered++;
        if (!stats.timing) continue;
        const at = stats.inFlight.get(dot.key);
        if (at !== undefined) stats.fanoutMs.push(now - at);
      }
      stats.fanout += delivered;
      if (stats.timing && delivered === 0) stats.unmatched++;
      return;
    }
    if (kind === REPLICATED) {
      stats.replicated++;
      return;
    }
    if (kind === ACK) {
      const m = /** @type {import('@helios/core').Ack} */ (decodeMessage(bytes));
      const now = performance.now();
      for (const id of m.ids) {
        const p = this.pending.get(id);
        if (p === undefined) continue;
        this.pending.delete(id);
        this.outstanding -= p.n;
        stats.acked += p.n;
        if (stats.timing) stats.ackMs.push(now - p.at);
      }
      this.onAck();
      return;
    }
    if (kind === ERROR) {
      const m = /** @type {import('@helios/core').ErrorEvent} */ (decodeMessage(bytes));
      stats.errors.push(`${m.code}: ${m.message}`);
    }
    if (kind === WELCOME || kind === SYNC || kind === ERROR) this.waiter?.(kind);
  }

  /**
   * Resolves on the next message of `kind`; rejects on an error message or a refused connection.
   * @param {number} kind
   * @param {number} timeoutMs
   */
  #next(kind, timeoutMs) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no message of kind ${kind} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      const refused = (/** @type {Error} */ err) => {
        clearTimeout(timer);
        reject(err);
      };
      this.socket.once('connect_error', refused);
      this.waiter = (k) => {
        if (k !== kind && k !== ERROR) return;
        clearTimeout(timer);
        this.waiter = undefined;
        this.socket.off('connect_error', refused);
        if (k === ERROR) reject(new Error(this.stats.errors.at(-1)));
        else resolve(undefined);
      };
    });
  }

  /** Waits for the welcome, then subscribes to each cart and waits for its sync reply. */
  async start(timeoutMs = 30_000) {
    await this.#next(WELCOME, timeoutMs);
    for (const doc of this.carts.keys()) {
      const synced = this.#next(SYNC, timeoutMs);
      this.socket.emit('h', this.#subscribeMessage([doc]));
      await synced;
    }
  }

  /**
   * Writes `n` increments to the cart `doc` and pushes them as one message of `n` entries.
   * @param {string} doc
   * @param {number} n
   */
  push(doc, n) {
    const stats = this.stats;
    const state = /** @type {ReturnType<typeof Cart.empty>} */ (this.carts.get(doc));
    const entries = [];
    for (let i = 0; i < n; i++) {
      const item = ITEMS[(this.nextId + i) % ITEMS.length];
      const delta = Cart.update(state, item, (line) => PNCounter.increment(line, this.me, 1));
      Cart.merge(state, delta);
      entries.push({ id: this.nextId + i, doc, delta: Cart.encode(delta) });
    }
    this.nextId += n;
    const message = encodeMessage({ kind: 'push', entries });
    const at = performance.now();
    if (stats.timing) {
      // The relay joins the deltas of one group commit per document into one `delta` message,
      // so a write is recognised in what arrives by the dot it minted, not by its bytes.
      for (const e of entries) {
        for (const dot of Cart.liveDots(Cart.decode(e.delta)).dots()) {
          stats.inFlight.set(`${dot.replica}:${dot.seq}`, at);
        }
      }
    }
    // The relay acks a push's entries together: the last id stands for the push.
    this.pending.set(this.nextId - 1, { at, n });
    this.outstanding += n;
    stats.sent += n;
    this.socket.emit('h', message);
  }

  close() {
    this.closing = true;
    this.socket.close();
  }
}
