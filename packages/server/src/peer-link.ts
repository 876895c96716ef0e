import {
  decodeMessage,
  type FeedEntry,
  type FeedState,
  type Message,
  PROTOCOL_VERSION,
} from '@helios/core';
import { io, type Socket } from 'socket.io-client';
import { LinkDelay } from './link-delay.js';
import type { PeerConfig } from './options.js';
import type { RelayNode } from './relay-node.js';
import type { RelayStore } from './store/relay-store.js';
import { asBytes, EVENT, send, socketParser } from './wire.js';

/**
 * Pulls one peer region's feed into this relay: asks from the durable cursor, merges each
 * batch, commits it together with the new cursor, then acknowledges. After a partition or a
 * restart it resumes from the cursor, so nothing is lost and nothing is merged twice.
 * The configured one-way latency delays both directions.
 *
 * The cursor is kept per region *and* store epoch (the peer's `welcome` names it): a peer whose
 * store was lost restarts its seqs at 1, and a cursor into its old feed would skip its new
 * writes. A peer whose feed no longer reaches back to the cursor answers with a backfill: pages
 * of document states, merged like batches, the last one committed with the cursor it reaches.
 */
export class PeerLink {
  readonly region: string;
  readonly #node: RelayNode;
  readonly #config: PeerConfig;
  readonly #store: RelayStore;
  readonly #token: string | undefined;
  readonly #delay: LinkDelay;
  #socket: Socket | undefined;
  /** Highest feed seq queued for merging: later duplicates of a resent batch are skipped. */
  #received = 0;
  /** The store cursor name for the peer's current store (see {@link cursorName}). */
  #cursor: string;
  /** The cursor position the current request was made from: backfill pages are asked with it. */
  #after = 0;
  #chain: Promise<void> = Promise.resolve();
  /** Bumped when a batch fails: batches received before then are dropped. */
  #generation = 0;
  #closed = false;

  constructor(node: RelayNode, config: PeerConfig, store: RelayStore, token: string | undefined) {
    this.#node = node;
    this.#config = config;
    this.region = config.region;
    this.#store = store;
    this.#token = token;
    this.#delay = new LinkDelay(config.latencyMs ?? 0);
    this.#cursor = cursorName(this.region, undefined);
  }

  get connected(): boolean {
    return this.#socket?.connected ?? false;
  }

  start(): void {
    const socket = io(this.#config.url, {
      auth: {
        protocol: PROTOCOL_VERSION,
        peer: this.#node.region,
        relayId: this.#node.relayId,
        ...(this.#token !== undefined ? { token: this.#token } : {}),
      },
      transports: ['websocket'],
      parser: socketParser,
      reconnectionDelay: 200,
      reconnectionDelayMax: 2_000,
    });
    this.#socket = socket;
    socket.on(EVENT, (payload: unknown) => {
      const bytes = asBytes(payload);
      if (bytes !== undefined) this.#delay.run(() => this.#receive(bytes));
    });
    socket.on('disconnect', () => this.#delay.clear());
    socket.on('connect_error', (err) => {
      this.#node.logger.debug(
        { err: err.message, peer: this.region },
        'peer unreachable; retrying',
      );
    });
  }

  #receive(bytes: Uint8Array): void {
    let message: Message;
    try {
      message = decodeMessage(bytes, this.#node.decodeLimits);
    } catch (err) {
      this.#node.logger.warn({ err, peer: this.region }, 'undecodable message from a peer');
      return;
    }
    if (message.kind === 'welcome') {
      if (message.region !== this.region) {
        this.#node.logger.warn(
          { expected: this.region, actual: message.region },
          'peer announces another region than configured',
        );
      }
      // What was received on the previous connection and is still queued is dropped: the new
      // request reads the durable cursor once the queue is idle, and the peer sends it again.
      this.#generation++;
      this.#cursor = cursorName(this.region, message.epoch);
      this.#chain = this.#chain.then(() => this.#request());
    } else if (message.kind === 'feed-batch') {
      const fresh = message.entries.filter((e) => e.seq > this.#received);
      if (fresh.length === 0) return;
      this.#received = fresh[fresh.length - 1]!.seq;
      const generation = this.#generation;
      this.#chain = this.#chain.then(() => this.#merge(fresh, generation));
    } else if (message.kind === 'feed-state') {
      const generation = this.#generation;
      this.#chain = this.#chain.then(() => this.#mergePage(message, generation));
    }
  }

  async #request(): Promise<void> {
    // Everything queued before is merged (or failed): the durable cursor is exact.
    const after = await this.#store.getCursor(this.#cursor);
    this.#received = after;
    this.#after = after;
    this.#send({ kind: 'feed-request', after });
  }

  async #merge(entries: FeedEntry[], generation: number): Promise<void> {
    const upTo = entries[entries.length - 1]!.seq;
    await this.#commit(entries, upTo, generation, { kind: 'feed-ack', upTo });
  }

  /**
   * A backfill page. Only the last one records the cursor: the pages are the feed up to `upTo`
   * only all together. Then the feed continues from there, as after any request.
   */
  async #mergePage(page: FeedState, generation: number): Promise<void> {
    const entries = page.entries.map((e) => ({ doc: e.doc, delta: e.state }));
    if (page.next !== undefined) {
      const next = { kind: 'feed-request', after: this.#after, afterDoc: page.next } as const;
      await this.#commit(entries, undefined, generation, next);
      return;
    }
    const done = await this.#commit(entries, page.upTo, generation, {
      kind: 'feed-request',
      after: page.upTo,
    });
    if (done) this.#received = this.#after = page.upTo;
  }

  /**
   * Merges and commits, with the cursor at `upTo` if given, then sends `then`. Resolves whether
   * it committed: not when the batch is stale or failed.
   */
  async #commit(
    entries: readonly { doc: string; delta: Uint8Array }[],
    upTo: number | undefined,
    generation: number,
    then: Message,
  ): Promise<boolean> {
    // After a failed batch, batches queued behind it must not commit (their cursor would skip
    // the failed one): they are dropped and the feed is asked for again from the durable cursor.
    if (generation !== this.#generation) return false;
    const cursor = this.#cursor;
    try {
      await this.#node.applyFromPeer(
        this.region,
        entries,
        upTo === undefined ? undefined : { peer: cursor, upTo },
      );
      if (generation !== this.#generation) return false;
      this.#send(then);
      return true;
    } catch (err) {
      this.#node.logger.error(
        { err, peer: this.region },
        'merging a peer batch failed; re-requesting',
      );
      this.#generation++;
      this.#chain = this.#chain.then(() => this.#request());
      return false;
    }
  }

  #send(message: Message): void {
    this.#delay.run(() => {
      if (!this.#closed && this.#socket?.connected) send(this.#socket, message);
    });
  }

  close(): void {
    this.#closed = true;
    this.#delay.clear();
    this.#socket?.close();
  }
}

/**
 * The name of the store cursor into a peer's feed: per region and the epoch of its store, so a
 * recreated store (seqs from 1 again) starts from 0. A peer that names no epoch (an older
 * relay) keeps the plain region, as before epochs existed.
 */
function cursorName(region: string, epoch: string | undefined): string {
  return epoch === undefined ? region : `${region}@${epoch}`;
}
