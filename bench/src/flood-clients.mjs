/**
 * Clients of the flood benchmark (`flood.mjs`), shared by the suite (observers, new-client
 * probes) and its load-generator processes (`flood-load.mjs`, flooders). Each speaks the wire
 * protocol over socket.io-client (websocket transport, the relay's parser), as the SDK does,
 * under a user of its own: an HS256 JWT signed here with the relay's secret.
 */
import { createHmac } from 'node:crypto';
import { newReplicaId, orMap, PNCounter } from '@helios/core';
import { decodeMessage, encodeMessage, PROTOCOL_VERSION } from '@helios/core/protocol';
import { socketParser } from '@helios/transport';
import { io } from 'socket.io-client';

const Cart = orMap(PNCounter);
const CART_TYPE = Cart.encode(Cart.empty());
const ITEMS = Array.from({ length: 20 }, (_, i) => `sku-${String(i).padStart(4, '0')}`);

// Message kind codes (packages/core/src/protocol/message-codec.ts, KINDS order + 1).
const WELCOME = 1;
const SYNC = 2;
const ACK = 4;
const ERROR = 6;

/** @param {string | Buffer} s */
const b64url = (s) => Buffer.from(s).toString('base64url');

/**
 * An HS256 JWT whose subject is `sub`, valid for an hour.
 * @param {string} secret
 * @param {string} sub
 */
export function jwtFor(secret, sub) {
  const head = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const now = Math.floor(Date.now() / 1000);
  const body = b64url(JSON.stringify({ sub, iat: now, exp: now + 3600 }));
  const sig = createHmac('sha256', secret).update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${sig}`;
}

/**
 * Opens a connection as `token`'s user with one new replica id. `onMessage` sees every frame.
 * @param {string} url
 * @param {string} token
 * @param {string} replica
 * @param {(bytes: Uint8Array) => void} onMessage
 */
function open(url, token, replica, onMessage) {
  const socket = io(url, {
    auth: { protocol: PROTOCOL_VERSION, replicas: [replica], token },
    transports: ['websocket'],
    parser: socketParser,
    reconnection: false,
    forceNew: true,
    timeout: 30_000,
  });
  socket.on('h', (/** @type {Uint8Array} */ bytes) => onMessage(bytes));
  return socket;
}

/**
 * Resolves once `socket` is welcomed (the welcome's arrival, in `performance.now()` ms);
 * rejects on a refusal, a disconnect or after `timeoutMs`.
 * @param {import('socket.io-client').Socket} socket
 * @param {{ welcomed: (() => void) | undefined }} hook set to a callback the owner calls on the welcome
 * @param {number} timeoutMs
 */
function welcomed(socket, hook, timeoutMs) {
  return new Promise((resolve, reject) => {
    const fail = (/** @type {Error} */ err) => {
      clearTimeout(timer);
      hook.welcomed = undefined;
      reject(err);
    };
    const timer = setTimeout(() => fail(new Error(`no welcome within ${timeoutMs} ms`)), timeoutMs);
    socket.once('connect_error', (err) => fail(err));
    socket.once('disconnect', (reason) => fail(new Error(`disconnected: ${reason}`)));
    hook.welcomed = () => {
      clearTimeout(timer);
      hook.welcomed = undefined;
      resolve(performance.now());
    };
  });
}

/**
 * Connects a fresh client (its own user, a new replica id: the relay stores the claim) and
 * measures the time from `io()` to the relay's welcome. Closes it afterwards.
 * @param {string} url
 * @param {string} token
 * @param {number} timeoutMs
 * @returns {Promise<number>} milliseconds
 */
export async function probeConnect(url, token, timeoutMs) {
  const hook = { welcomed: /** @type {(() => void) | undefined} */ (undefined) };
  const started = performance.now();
  const socket = open(url, token, newReplicaId(), (bytes) => {
    if (bytes[1] === WELCOME) hook.welcomed?.();
  });
  try {
    return (await welcomed(socket, hook, timeoutMs)) - started;
  } finally {
    socket.close();
  }
}

/**
 * A well-behaved client: subscribed to one cart, it writes one increment at a time when told
 * to and records each write's push → durable ack latency.
 */
export class Observer {
  /**
   * @param {string} url
   * @param {string} token
   * @param {string} doc
   */
  constructor(url, token, doc) {
    this.doc = doc;
    this.replica = newReplicaId();
    this.me = { replica: this.replica };
    this.state = Cart.empty();
    this.nextId = 1;
    /** Every write: when it was sent (performance.now) and its latency once acked. */
    /** @type {{ at: number, ms: number | undefined }[]} */
    this.writes = [];
    /** @type {Map<number, { at: number, ms: number | undefined }>} */
    this.pending = new Map();
    /** @type {string[]} */
    this.errors = [];
    this.hook = { welcomed: /** @type {(() => void) | undefined} */ (undefined) };
    /** @type {(() => void) | undefined} */
    this.synced = undefined;
    this.lost = false;
    this.closing = false;
    this.socket = open(url, token, this.replica, (bytes) => this.#receive(bytes));
    this.socket.on('disconnect', () => {
      if (!this.closing) this.lost = true;
    });
  }

  /** @param {Uint8Array} bytes */
  #receive(bytes) {
    const kind = bytes[1];
    if (kind === WELCOME) this.hook.welcomed?.();
    else if (kind === SYNC) this.synced?.();
    else if (kind === ACK) {
      const now = performance.now();
      const m = /** @type {import('@helios/core/protocol').Ack} */ (decodeMessage(bytes));
      for (const id of m.ids) {
        const w = this.pending.get(id);
        if (w === undefined) continue;
        this.pending.delete(id);
        w.ms = now - w.at;
      }
    } else if (kind === ERROR) {
      const m = /** @type {import('@helios/core/protocol').ErrorEvent} */ (decodeMessage(bytes));
      this.errors.push(`${m.code}: ${m.message}`);
    }
  }

  /** Waits for the welcome, subscribes to the cart and waits for its sync. */
  async start(timeoutMs = 30_000) {
    await welcomed(this.socket, this.hook, timeoutMs);
    const synced = new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no sync')), timeoutMs);
      this.synced = () => {
        clearTimeout(timer);
        this.synced = undefined;
        resolve(undefined);
      };
    });
    const digest = Cart.digest(this.state);
    this.socket.emit(
      'h',
      encodeMessage({ kind: 'subscribe', docs: [{ doc: this.doc, type: CART_TYPE, digest }] }),
    );
    await synced;
  }

  /** One increment of one line, pushed alone. */
  write() {
    const id = this.nextId++;
    const item = ITEMS[id % ITEMS.length];
    const delta = Cart.update(this.state, item, (line) => PNCounter.increment(line, this.me, 1));
    Cart.merge(this.state, delta);
    const write = { at: performance.now(), ms: /** @type {number | undefined} */ (undefined) };
    this.writes.push(write);
    this.pending.set(id, write);
    this.socket.emit(
      'h',
      encodeMessage({ kind: 'push', entries: [{ id, doc: this.doc, delta: Cart.encode(delta) }] }),
    );
  }

  close() {
    this.closing = true;
    this.socket.close();
  }
}

/**
 * A hostile or broken writer: pushes frames of `entries` valid increments to a cart of its own
 * as fast as its socket takes them (it keeps at most ~1 MiB unsent), and reconnects at once
 * when the relay closes it. The frames come from a pool built up front (distinct deltas, then
 * the same again: still valid work for the relay), so the generator spends little CPU per frame.
 */
export class Flooder {
  /**
   * @param {string} url
   * @param {string} token
   * @param {string} doc
   * @param {{ entries: number, pool: number }} o
   */
  constructor(url, token, doc, o) {
    this.url = url;
    this.token = token;
    this.replica = newReplicaId();
    const me = { replica: this.replica };
    const state = Cart.empty();
    /** @type {Uint8Array[]} */
    this.frames = [];
    let id = 1;
    for (let f = 0; f < o.pool; f++) {
      const entries = [];
      for (let i = 0; i < o.entries; i++, id++) {
        const delta = Cart.update(state, ITEMS[id % ITEMS.length], (line) =>
          PNCounter.increment(line, me, 1),
        );
        Cart.merge(state, delta);
        entries.push({ id, doc, delta: Cart.encode(delta) });
      }
      this.frames.push(encodeMessage({ kind: 'push', entries }));
    }
    this.entriesPerFrame = o.entries;
    this.next = 0;
    this.flooding = false;
    this.closed = false;
    this.stats = { frames: 0, acked: 0, rateLimited: 0, closedByRelay: 0, reconnects: 0 };
    /** @type {import('socket.io-client').Socket | undefined} */
    this.socket = undefined;
    this.hook = { welcomed: /** @type {(() => void) | undefined} */ (undefined) };
  }

  /** Connects (again) and waits for the welcome. */
  async connect(timeoutMs = 30_000) {
    const socket = open(this.url, this.token, this.replica, (bytes) => this.#receive(bytes));
    this.socket = socket;
    socket.on('disconnect', (reason) => {
      if (this.closed || this.socket !== socket) return;
      if (reason === 'io server disconnect') this.stats.closedByRelay++;
      // A hostile client comes straight back (the SDK would wait 50 ms).
      setTimeout(() => void this.#reconnect(), 50);
    });
    await welcomed(socket, this.hook, timeoutMs);
    this.#pump();
  }

  async #reconnect() {
    if (this.closed) return;
    this.stats.reconnects++;
    try {
      await this.connect();
    } catch {
      setTimeout(() => void this.#reconnect(), 50);
    }
  }

  /** @param {Uint8Array} bytes */
  #receive(bytes) {
    const kind = bytes[1];
    if (kind === WELCOME) this.hook.welcomed?.();
    else if (kind === ACK) {
      this.stats.acked += /** @type {import('@helios/core/protocol').Ack} */ (
        decodeMessage(bytes)
      ).ids.length;
    } else if (kind === ERROR) {
      const m = /** @type {import('@helios/core/protocol').ErrorEvent} */ (decodeMessage(bytes));
      if (m.code === 'rate-limited') this.stats.rateLimited++;
    }
  }

  /** Whether the socket takes more without piling up in this process. */
  #room() {
    const socket = /** @type {import('socket.io-client').Socket} */ (this.socket);
    const engine = /** @type {any} */ (socket.io).engine;
    const ws = engine?.transport?.ws;
    return (
      socket.connected &&
      (engine?.writeBuffer?.length ?? 0) < 64 &&
      (ws?.bufferedAmount ?? 0) < 1 << 20
    );
  }

  #pump() {
    if (!this.flooding || this.closed || !this.socket?.connected) return;
    let sent = 0;
    while (sent < 64 && this.#room()) {
      this.socket.emit('h', this.frames[this.next]);
      this.next = (this.next + 1) % this.frames.length;
      this.stats.frames++;
      sent++;
    }
    // Blocked: look again in a few milliseconds (a tighter poll only burns this machine's CPU).
    if (sent > 0) setImmediate(() => this.#pump());
    else setTimeout(() => this.#pump(), 5);
  }

  start() {
    this.flooding = true;
    this.#pump();
  }

  /**
   * Stops and closes (gracefully: what its socket holds is still sent). Resolves once the
   * connection is closed, that is once the relay has read everything this flooder sent.
   * @returns {Promise<void>}
   */
  close() {
    this.flooding = false;
    this.closed = true;
    // The WebSocket's TCP connection: it closes once the relay has read everything up to the
    // close frame and answered it (engine.io's own 'close' comes at once).
    const tcp = /** @type {any} */ (this.socket?.io)?.engine?.transport?.ws?._socket;
    const closed = new Promise((resolve) => {
      if (!tcp || tcp.destroyed) resolve(undefined);
      else tcp.once('close', resolve);
    });
    this.socket?.close();
    return /** @type {Promise<void>} */ (closed);
  }
}
