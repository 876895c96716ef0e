import { decodeMessage, type FeedEntry } from '@helios/core';
import type { Socket } from 'socket.io';
import type { RelayNode } from './relay-node.js';
import type { RelayStore } from './store/relay-store.js';
import { asBytes, EVENT, send } from './wire.js';

/** Entries sent per batch, and unacknowledged entries allowed in flight per peer. */
const BATCH = 500;
const WINDOW = 5_000;

/**
 * Serves this region's feed to one peer relay: from the position the peer asks for, in order,
 * then live as new changes commit. At most {@link WINDOW} entries are in flight; the rest stays
 * in the store, so a slow or absent peer costs disk, not memory.
 */
export class FeedStream {
  readonly #node: RelayNode;
  readonly #socket: Socket;
  readonly #store: RelayStore;
  readonly peer: string;
  /** Last seq sent, and the last seq the peer has durably merged. */
  #sent = -1;
  #acked = 0;
  #inFlight: { seq: number; count: number; at: number }[] = [];
  #pumping = false;
  #again = false;

  constructor(node: RelayNode, socket: Socket, peer: string, store: RelayStore) {
    this.#node = node;
    this.#socket = socket;
    this.#store = store;
    this.peer = peer;
    socket.on(EVENT, (payload: unknown) => this.#receive(payload));
    socket.on('disconnect', () => {
      this.#sent = -1;
      this.#inFlight = [];
    });
  }

  #receive(payload: unknown): void {
    const bytes = asBytes(payload);
    if (bytes === undefined) return;
    let message: ReturnType<typeof decodeMessage>;
    try {
      message = decodeMessage(bytes, this.#node.decodeLimits);
    } catch (err) {
      this.#node.logger.warn({ err, peer: this.peer }, 'undecodable message from a peer');
      return;
    }
    if (message.kind === 'feed-request') {
      this.#sent = message.after;
      this.#inFlight = [];
      this.#acknowledged(message.after);
    } else if (message.kind === 'feed-ack') {
      this.#acknowledged(message.upTo);
    }
  }

  #acknowledged(upTo: number): void {
    this.#acked = Math.max(this.#acked, upTo);
    while (this.#inFlight.length > 0 && this.#inFlight[0]!.seq <= this.#acked)
      this.#inFlight.shift();
    const oldest = this.#inFlight[0];
    this.#node.metrics.peerLagEntries.set(
      { peer: this.peer },
      this.#inFlight.reduce((n, b) => n + b.count, 0),
    );
    this.#node.metrics.peerLagSeconds.set(
      { peer: this.peer },
      oldest ? (this.#node.now() - oldest.at) / 1000 : 0,
    );
    this.#node.recordPeerAck(this.peer, this.#acked);
    this.pump();
  }

  /** Sends what the peer has not received yet, within the window. */
  pump(): void {
    if (this.#sent < 0) return; // the peer has not asked yet
    if (this.#pumping) {
      this.#again = true;
      return;
    }
    this.#pumping = true;
    void this.#fill().finally(() => {
      this.#pumping = false;
      if (this.#again) {
        this.#again = false;
        this.pump();
      }
    });
  }

  async #fill(): Promise<void> {
    try {
      for (;;) {
        const inFlight = this.#inFlight.reduce((n, b) => n + b.count, 0);
        if (!this.#socket.connected || this.#sent < 0 || inFlight >= WINDOW) return;
        const from = this.#sent;
        const changes = await this.#store.readFeed(from, Math.min(BATCH, WINDOW - inFlight));
        if (changes.length === 0 || this.#sent !== from) return;
        const entries: FeedEntry[] = changes.map(({ seq, doc, delta }) => ({ seq, doc, delta }));
        const last = entries[entries.length - 1]!.seq;
        this.#sent = last;
        this.#inFlight.push({ seq: last, count: entries.length, at: this.#node.now() });
        this.#node.metrics.bytesOut.inc(send(this.#socket, { kind: 'feed-batch', entries }));
      }
    } catch (err) {
      this.#node.logger.error({ err, peer: this.peer }, 'reading the feed failed');
    }
  }
}
