import type { DocumentId } from '@helios/core';
import {
  decodeMessage,
  type FeedEntry,
  type FeedRequest,
  type FeedStateEntry,
} from '@helios/core/protocol';
import type { FeedSource } from './feed-tail.js';
import type { FeedPort } from './node-ports.js';
import type { PeerChannel } from './peer-channel.js';

/**
 * Entries sent per batch, and unacknowledged entries allowed in flight per peer. A batch's
 * bytes are bounded too (see #batchOf).
 */
const BATCH = 500;
export const FEED_WINDOW = 5_000;
/** Documents read per backfill page; the page's bytes are bounded too (see #page). */
const PAGE_DOCS = 200;

/**
 * Serves this region's feed to one peer relay: from the position the peer asks for, in order,
 * then live as new changes commit. Each batch names the position it continues from (`after`).
 * At most {@link FEED_WINDOW} entries are in flight; the rest stays in the store, so a slow or
 * absent peer costs disk, not memory.
 *
 * A peer asking from below the store's `feedStart` (a new region, or one whose store was lost)
 * would miss the released history: it gets a backfill instead, the documents' whole states in
 * `feed-state` pages it asks for one by one, then the feed after the `upTo` of the last page.
 *
 * It serves the peer through a {@link PeerChannel}, over Socket.IO or QUIC alike: batches and
 * pages on the channel's `batch` lane, the rest on its `control` lane.
 */
export class FeedStream {
  readonly #node: FeedPort;
  readonly #channel: PeerChannel;
  readonly #store: FeedSource;
  readonly peer: string;
  /** Last seq sent, and the last seq the peer has durably merged. */
  #sent = -1;
  #acked = 0;
  #inFlight: { seq: number; count: number; at: number }[] = [];
  #pumping = false;
  #again = false;
  /** The feed position the backfill in progress brings the peer to (docs/protocol.md §4.6). */
  #backfillUpTo: number | undefined;
  /** Requests are answered one at a time, in order. */
  #requests: Promise<void> = Promise.resolve();

  constructor(node: FeedPort, channel: PeerChannel, peer: string, store: FeedSource) {
    this.#node = node;
    this.#channel = channel;
    this.#store = store;
    this.peer = peer;
    channel.onMessage((bytes) => this.#receive(bytes));
    channel.onClose(() => {
      this.#sent = -1;
      this.#inFlight = [];
      this.#backfillUpTo = undefined;
      this.#node.presence.dropSource(this); // the peer region's presence goes with its link
    });
  }

  #receive(bytes: Uint8Array): void {
    let message: ReturnType<typeof decodeMessage>;
    try {
      message = decodeMessage(bytes, this.#node.decodeLimits);
    } catch (err) {
      this.#node.logger.warn({ err, peer: this.peer }, 'undecodable message from a peer');
      return;
    }
    if (message.kind === 'feed-request') {
      this.#requests = this.#requests
        .then(() => this.#requested(message))
        .catch((err: unknown) => {
          this.#node.logger.error({ err, peer: this.peer }, 'answering a feed request failed');
        });
    } else if (message.kind === 'feed-ack') {
      this.#acknowledged(message.upTo);
    } else if (message.kind === 'peer-presence') {
      // The region is the one the peer's handshake proved, never one the message names.
      this.#node.presence.fromPeer(this.peer, message.entries, this);
    } else if (message.kind === 'rights-request') {
      // The transfer reaches the peer in this feed; the grant only says how much is coming.
      const { id, doc } = message;
      this.#node.rightsForPeer(this.peer, message).then(
        ({ from, granted }) => this.#channel.send({ kind: 'rights-grant', id, doc, from, granted }),
        (err: unknown) =>
          this.#node.logger.error({ err, peer: this.peer }, 'rights request failed'),
      );
    }
  }

  /**
   * A request is the truth about the peer's position, even below what it acknowledged before
   * (its store was lost): the relay must not release the feed after it until the peer has it.
   */
  async #requested(request: FeedRequest): Promise<void> {
    this.#sent = -1;
    this.#inFlight = [];
    this.#acked = request.after;
    this.#node.peerRequested(this.peer, request.after);
    // A page request of a backfill this stream does not know (begun on an earlier connection)
    // cannot continue it: pages read against another `upTo` cannot be combined. It is answered
    // as a plain request.
    if (request.afterDoc !== undefined && this.#backfillUpTo !== undefined) {
      await this.#sendPage(request.afterDoc);
      return;
    }
    const start = await this.#store.feedStart();
    if (request.after >= start) {
      this.#backfillUpTo = undefined;
      this.#sent = request.after;
      this.#acknowledged(request.after);
      return;
    }
    this.#node.logger.info(
      { peer: this.peer, after: request.after, feedStart: start },
      'peer asks from before the retained feed: backfilling document states',
    );
    this.#backfillUpTo = start;
    await this.#sendPage('');
  }

  /**
   * Sends the page of documents after `afterDoc`. Every change up to `#backfillUpTo` was
   * committed before the backfill began, so each state read here holds it; later changes are in
   * the feed after it, which stays as long as the peer's position (lowered by its request) holds
   * the release back. The last page checks that: if the feed start moved anyway, the backfill
   * starts over from the new one.
   */
  async #sendPage(afterDoc: DocumentId): Promise<void> {
    let upTo = this.#backfillUpTo!;
    let page = await this.#page(afterDoc);
    for (;;) {
      if (page.next !== undefined) break;
      const start = await this.#store.feedStart();
      if (start === upTo) break;
      upTo = this.#backfillUpTo = start;
      page = await this.#page('');
    }
    if (!this.#channel.open) return;
    const sent = this.#channel.send(
      {
        kind: 'feed-state',
        upTo,
        entries: page.entries,
        ...(page.next !== undefined ? { next: page.next } : {}),
      },
      'batch',
    );
    this.#node.metrics.bytesOut.inc(sent);
    if (page.next === undefined) this.#backfillUpTo = undefined;
  }

  /**
   * Up to {@link PAGE_DOCS} documents' states, and at most half a message of bytes (the other
   * half is headroom for a peer configured with smaller messages than this relay) unless a
   * single document is larger. `next` is absent when no document follows.
   */
  async #page(
    afterDoc: DocumentId,
  ): Promise<{ entries: FeedStateEntry[]; next: DocumentId | undefined }> {
    const budget = this.#node.limits.maxMessageBytes / 2;
    const docs = await this.#store.documents(afterDoc, PAGE_DOCS);
    const entries: FeedStateEntry[] = [];
    let bytes = 0;
    for (const doc of docs) {
      const state = await this.#stateOf(doc);
      if (state === undefined) continue;
      if (entries.length > 0 && bytes + state.length > budget) {
        return { entries, next: entries[entries.length - 1]!.doc };
      }
      entries.push({ doc, state });
      bytes += state.length + doc.length;
    }
    return { entries, next: docs.length < PAGE_DOCS ? undefined : docs[docs.length - 1] };
  }

  /**
   * The document's whole state as this relay holds it: memory has everything committed (with
   * several nodes, once refreshed from the shared store), unlike the store's compacted rows. It
   * may also hold a client delta whose commit is still running; sending that early is harmless
   * (if the commit fails, the client was not acknowledged and pushes it again).
   */
  async #stateOf(doc: DocumentId): Promise<Uint8Array | undefined> {
    const held = await this.#node.docs.get(doc);
    if (held === undefined) return undefined;
    await this.#node.refresh(held);
    return held.type.encodeSnapshot(held.state);
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

  /**
   * The first changes that fit in half a message (the other half is headroom for a peer
   * configured with smaller messages than this relay, as for pages), at least one. A peer
   * cannot decode a larger message: it would drop the batch and ask again, for ever.
   */
  #batchOf(changes: readonly FeedEntry[]): FeedEntry[] {
    const budget = this.#node.limits.maxMessageBytes / 2;
    const entries: FeedEntry[] = [];
    let bytes = 0;
    for (const { seq, doc, delta } of changes) {
      // An entry's framing: a seq and two lengths, 10 bytes at most each.
      const size = delta.length + doc.length * 3 + 30;
      if (entries.length > 0 && bytes + size > budget) break;
      entries.push({ seq, doc, delta });
      bytes += size;
    }
    return entries;
  }

  async #fill(): Promise<void> {
    try {
      for (;;) {
        const inFlight = this.#inFlight.reduce((n, b) => n + b.count, 0);
        if (!this.#channel.open || this.#sent < 0 || inFlight >= FEED_WINDOW) return;
        const from = this.#sent;
        const changes = await this.#store.readFeed(from, Math.min(BATCH, FEED_WINDOW - inFlight));
        if (changes.length === 0 || this.#sent !== from) return;
        const entries = this.#batchOf(changes);
        const last = entries[entries.length - 1]!.seq;
        this.#sent = last;
        this.#inFlight.push({ seq: last, count: entries.length, at: this.#node.now() });
        // `after` names the batch this one continues (or the request's position), so a peer
        // that receives batches out of order (a QUIC stream each) can tell a gap from seqs the
        // feed skips.
        const batch = { kind: 'feed-batch', after: from, entries } as const;
        this.#node.metrics.bytesOut.inc(this.#channel.send(batch, 'batch'));
      }
    } catch (err) {
      this.#node.logger.error({ err, peer: this.peer }, 'reading the feed failed');
    }
  }
}
