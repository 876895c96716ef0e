import { decodeMessage, type FeedEntry, type Message, PROTOCOL_VERSION } from '@helios/core';
import { io, type Socket } from 'socket.io-client';
import { LinkDelay } from './link-delay.js';
import type { PeerConfig } from './options.js';
import type { RelayNode } from './relay-node.js';
import type { RelayStore } from './store/relay-store.js';
import { asBytes, EVENT, send } from './wire.js';

/**
 * Pulls one peer region's feed into this relay: asks from the durable cursor, merges each
 * batch, commits it together with the new cursor, then acknowledges. After a partition or a
 * restart it resumes from the cursor, so nothing is lost and nothing is merged twice.
 * The configured one-way latency delays both directions.
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
      this.#chain = this.#chain.then(() => this.#request());
    } else if (message.kind === 'feed-batch') {
      const fresh = message.entries.filter((e) => e.seq > this.#received);
      if (fresh.length === 0) return;
      this.#received = fresh[fresh.length - 1]!.seq;
      const generation = this.#generation;
      this.#chain = this.#chain.then(() => this.#merge(fresh, generation));
    }
  }

  async #request(): Promise<void> {
    // Everything queued before is merged (or failed): the durable cursor is exact.
    const after = await this.#store.getCursor(this.region);
    this.#received = after;
    this.#send({ kind: 'feed-request', after });
  }

  async #merge(entries: FeedEntry[], generation: number): Promise<void> {
    // After a failed batch, batches queued behind it must not commit (their cursor would skip
    // the failed one): they are dropped and the feed is asked for again from the durable cursor.
    if (generation !== this.#generation) return;
    try {
      await this.#node.applyFromPeer(
        this.region,
        entries.map((e) => ({ ...e, origin: this.region })),
      );
      this.#send({ kind: 'feed-ack', upTo: entries[entries.length - 1]!.seq });
    } catch (err) {
      this.#node.logger.error(
        { err, peer: this.region },
        'merging a peer batch failed; re-requesting',
      );
      this.#generation++;
      this.#chain = this.#chain.then(() => this.#request());
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
