/**
 * Load clients of the Yjs servers the relay benchmark compares with: a raw y-protocols client
 * over `ws` (one Y.Doc and one connection per client), speaking either y-websocket's framing, as
 * `WebsocketProvider` does, or Hocuspocus' (every message prefixed with the document name, an
 * auth message first), as `HocuspocusProvider` does; neither sends awareness.
 *
 * A push is `n` `map.set`s in one Y transaction, sent as one update message: the same batching
 * as a Helios push of `n` entries. Like `HeliosClient`, a client does not merge what it receives;
 * received updates are recognised by their exact bytes (both servers forward an update as the
 * sender encoded it, which the benchmark checks by counting matches).
 */
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import WebSocket from 'ws';
import * as syncProtocol from 'y-protocols/sync';
import * as Y from 'yjs';
import { ITEMS } from './relay-clients.mjs';

/** @typedef {import('./relay-clients.mjs').LoadStats} LoadStats */

const REMOTE = Symbol('remote');
// y-protocols sync message: varUint message type, varUint sync type, payload.
const Y_SYNC = 0;
const Y_STEP1 = 0;
const Y_STEP2 = 1;
const Y_UPDATE = 2;
// Hocuspocus message types (@hocuspocus/server's MessageType) beyond y-protocols' sync.
const HP_AUTH = 2;
const HP_SYNC_REPLY = 4;
const HP_SYNC_STATUS = 8;

/**
 * How a server frames y-protocols messages and what stands for an ack.
 * @typedef {{
 *   url: (base: string, doc: string) => string,
 *   prefixed: boolean,
 *   echoAcks: boolean,
 * }} Dialect
 * `prefixed`: every message starts with the document name (Hocuspocus multiplexes documents on
 * one socket). `echoAcks`: the server's echo of an update to its sender is the ack (y-websocket
 * has nothing else); otherwise the ack is Hocuspocus' SyncStatus reply, sent after the update is
 * applied in memory, and the echo is ignored.
 */

/** @type {Record<'y-websocket' | 'hocuspocus', Dialect>} */
export const DIALECTS = {
  'y-websocket': { url: (base, doc) => `${base}/${doc}`, prefixed: false, echoAcks: true },
  hocuspocus: { url: (base) => base, prefixed: true, echoAcks: false },
};

/**
 * Sets carried by a v1 update of one client's transaction: its struct count (one item per
 * `map.set` of distinct keys), read without decoding the update.
 * @param {Uint8Array} update
 */
function setsIn(update) {
  const d = decoding.createDecoder(update);
  decoding.readVarUint(d); // clients in the update: 1
  return decoding.readVarUint(d);
}

const latin1 = (/** @type {Uint8Array} */ b) =>
  Buffer.from(b.buffer, b.byteOffset, b.length).toString('latin1');

export class YjsClient {
  /**
   * @param {Dialect} dialect
   * @param {string} url ws://host:port
   * @param {string} doc
   * @param {number} index unique per client, makes the client's keys its own
   * @param {LoadStats} stats
   */
  constructor(dialect, url, doc, index, stats) {
    this.dialect = dialect;
    this.doc = doc;
    this.stats = stats;
    this.index = index;
    this.ydoc = new Y.Doc();
    this.map = this.ydoc.getMap('cart');
    this.n = 0;
    /** Updates sent and not yet acked: update bytes (latin1) → send time and sets. */
    /** @type {Map<string, {at: number, n: number}>} */
    this.pending = new Map();
    /** Hocuspocus only: the same, in send order (it acks in order, without naming the update). */
    /** @type {{at: number, n: number}[]} */
    this.queue = [];
    /** Sets sent and not yet acked. */
    this.outstanding = 0;
    this.onAck = () => {};
    /** @type {Uint8Array | undefined} */
    this.lastUpdate = undefined;
    this.ydoc.on('update', (/** @type {Uint8Array} */ update, /** @type {unknown} */ origin) => {
      if (origin !== REMOTE) this.lastUpdate = update;
    });
    /** @type {(() => void) | undefined} */
    this.synced = undefined;
    this.ws = new WebSocket(dialect.url(url, doc), { perMessageDeflate: false });
    this.ws.on('message', (/** @type {Buffer} */ data) => this.#receive(data));
    this.ws.on('error', (err) => stats.errors.push(String(err)));
    this.closing = false;
    this.lost = false;
    this.ws.on('close', (code) => {
      this.lost = true;
      if (!this.closing) stats.disconnects.push(`close ${code}`);
    });
  }

  /** An encoder holding the message header: the document name where the dialect has one. */
  #encoder() {
    const encoder = encoding.createEncoder();
    if (this.dialect.prefixed) encoding.writeVarString(encoder, this.doc);
    return encoder;
  }

  /** @param {Buffer} data */
  #receive(data) {
    const decoder = decoding.createDecoder(data);
    if (this.dialect.prefixed) decoding.readVarString(decoder);
    const type = decoding.readVarUint(decoder);
    if (type === HP_SYNC_STATUS) {
      this.#syncStatus();
      return;
    }
    if (type !== Y_SYNC && type !== HP_SYNC_REPLY) return; // awareness, auth: nothing to do
    const syncType = decoding.readVarUint(decoder);
    if (syncType === Y_UPDATE) {
      this.#update(decoding.readVarUint8Array(decoder));
    } else if (syncType === Y_STEP1) {
      // Answer the server's state vector with what it lacks, as the providers do.
      const encoder = this.#encoder();
      encoding.writeVarUint(encoder, Y_SYNC);
      syncProtocol.readSyncStep1(decoder, encoder, this.ydoc);
      this.ws.send(encoding.toUint8Array(encoder));
    } else if (syncType === Y_STEP2 && this.dialect.echoAcks) {
      this.synced?.();
    }
  }

  /** @param {Uint8Array} update */
  #update(update) {
    const stats = this.stats;
    const key = latin1(update);
    const mine = this.pending.get(key);
    if (mine !== undefined) {
      this.pending.delete(key);
      if (this.dialect.echoAcks) this.#acked(mine);
      return;
    }
    stats.fanout += setsIn(update);
    if (!stats.timing) return;
    const at = stats.inFlight.get(key);
    if (at === undefined) stats.unmatched++;
    else stats.fanoutMs.push(performance.now() - at);
  }

  /**
   * Hocuspocus' SyncStatus: the oldest update in flight was applied. The first one answers the
   * handshake's sync step 2, which follows the server's own step 2: the client is then synced.
   */
  #syncStatus() {
    const oldest = this.queue.shift();
    if (oldest !== undefined) this.#acked(oldest);
    else this.synced?.();
  }

  /** @param {{at: number, n: number}} p */
  #acked(p) {
    const stats = this.stats;
    this.outstanding -= p.n;
    stats.acked += p.n;
    if (stats.timing) stats.ackMs.push(performance.now() - p.at);
    this.onAck();
  }

  /** Opens the socket, authenticates where the dialect asks it, and runs the sync handshake. */
  async start(timeoutMs = 30_000) {
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not synced in ${timeoutMs} ms`)), timeoutMs);
      this.synced = () => {
        clearTimeout(timer);
        this.synced = undefined;
        resolve(undefined);
      };
      this.ws.once('error', reject);
      this.ws.once('open', () => {
        if (this.dialect.prefixed) {
          // Hocuspocus queues everything for a document until its auth message (an empty
          // token: the server has no onAuthenticate hook).
          const auth = this.#encoder();
          encoding.writeVarUint(auth, HP_AUTH);
          encoding.writeVarUint(auth, 0);
          encoding.writeVarString(auth, '');
          this.ws.send(encoding.toUint8Array(auth));
        }
        const encoder = this.#encoder();
        encoding.writeVarUint(encoder, Y_SYNC);
        syncProtocol.writeSyncStep1(encoder, this.ydoc);
        this.ws.send(encoding.toUint8Array(encoder));
      });
    });
  }

  /**
   * `n` `map.set`s of this client's keys in one transaction, sent as one update message.
   * @param {number} n at most 20 (the client's keys), so the sets are of distinct keys
   */
  push(n) {
    this.ydoc.transact(() => {
      for (let i = 0; i < n; i++) {
        this.n++;
        this.map.set(`${this.index}:${ITEMS[this.n % ITEMS.length]}`, this.n);
      }
    });
    const update = /** @type {Uint8Array} */ (this.lastUpdate);
    const encoder = this.#encoder();
    encoding.writeVarUint(encoder, Y_SYNC);
    syncProtocol.writeUpdate(encoder, update);
    const key = latin1(update);
    const at = performance.now();
    const p = { at, n };
    this.pending.set(key, p);
    if (!this.dialect.echoAcks) this.queue.push(p);
    if (this.stats.timing) this.stats.inFlight.set(key, at);
    this.outstanding += n;
    this.stats.sent += n;
    this.ws.send(encoding.toUint8Array(encoder));
  }

  close() {
    this.closing = true;
    this.ws.terminate();
    this.ydoc.destroy();
  }
}
