import {
  decodeMessage,
  encodeMessage,
  type FeedEntry,
  type FeedState,
  type Message,
  type PeerAuth,
  type PeerPresenceEntry,
  PROTOCOL_VERSION,
  type RightsRequest,
} from '@helios/core/protocol';
import type { Transport } from '@helios/transport';
import { cursorName, FeedProgress, type FeedRange, rangeOf } from './feed-order.js';
import { FeedQueue } from './feed-queue.js';
import type { Closure, PeerClosure } from './fold-stability.js';
import { type Held, type PeerEntry, releaseHeld, WAIT_POLL_MS } from './held-entries.js';
import { LinkDelay } from './link-delay.js';
import type { LinkPort } from './node-ports.js';
import type { PeerConfig } from './options.js';
import { PeerConnection } from './peer-connection.js';
import type { RelayStore } from './store/relay-store.js';

/**
 * Pulls one peer region's feed into this relay: asks from the durable cursor, merges each batch,
 * commits it together with the new cursor, then acknowledges. After a partition or a restart it
 * resumes from the cursor, so nothing is lost and nothing is merged twice. The configured one-way
 * latency delays both directions. The link dials its peer through the relay's peer
 * {@link Transport} (Socket.IO by default), and again whenever the connection ends (see
 * {@link PeerConnection}).
 *
 * The cursor is kept per region *and* store epoch (the peer's `welcome` names it): a peer whose
 * store was lost restarts its seqs at 1, and a cursor into its old feed would skip its new writes.
 * A peer whose feed no longer reaches back to the cursor answers with a backfill: pages of
 * document states, merged like batches, the last one committed with the cursor it reaches.
 *
 * Feed entries are merged in causal order (docs/architecture.md §2.1): an entry that names a write
 * this relay has not merged yet (one another region's feed brings) is held back, with the entries
 * after it of the same document; the rest of the feed goes on. Held entries are merged once what
 * they name has arrived (checked every {@link WAIT_POLL_MS}), or after `WAIT_MAX_MS` anyway (see
 * {@link releaseHeld}). The durable cursor, and the acknowledgement, stop before the first held
 * entry: a restart asks for it again, and the peer keeps it in its feed.
 *
 * Batches may arrive out of order (a stream each) and twice: each is merged at once (joins
 * commute; an entry that names a write still missing is held, as above), but the cursor and the
 * acknowledgement only cover the contiguous prefix merged (see {@link FeedProgress}). A gap never
 * filled (the connection ended) is asked for again from the cursor, with the feed after it.
 */
export class PeerLink {
  readonly region: string;
  readonly #node: LinkPort;
  readonly #store: RelayStore;
  readonly #delay: LinkDelay;
  readonly #connection: PeerConnection;
  /** Where the link is in the feed; none while a request is due (batches then are asked again). */
  #feed: FeedProgress | undefined;
  /** The store cursor name for the peer's current store (see {@link cursorName}). */
  #cursor: string;
  /** The cursor position the current request was made from: backfill pages are asked with it. */
  #after = 0;
  #chain: Promise<void> = Promise.resolve();
  /** Bumped when a batch fails: batches received before then are dropped. */
  #generation = 0;
  #closed = false;
  /** Highest position acknowledged to the peer on this connection. */
  #acked = 0;
  /** Feed entries held back until they are causally ready, in feed order. */
  #held: Held[] = [];
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  /** Set while a failed cursor read waits to be tried again (see {@link #request}). */
  #requestTimer: ReturnType<typeof setTimeout> | undefined;
  /** Feed batches received and queued on the chain, not merged yet (see releaseHeld). */
  readonly #queued = new FeedQueue();
  /** The peer's closure receipt on this connection (docs/compaction.md); none before one. */
  #closure: Closure | undefined;

  constructor(
    node: LinkPort,
    config: PeerConfig,
    store: RelayStore,
    token: string | undefined,
    transport: Transport<PeerAuth>,
  ) {
    this.#node = node;
    this.region = config.region;
    this.#store = store;
    this.#delay = new LinkDelay(config.latencyMs ?? 0);
    this.#cursor = cursorName(this.region, undefined);
    const hello: PeerAuth = {
      protocol: PROTOCOL_VERSION,
      peer: node.region,
      relayId: node.relayId,
      ...(token !== undefined ? { token } : {}),
    };
    this.#connection = new PeerConnection(transport, config.url, hello, {
      message: (bytes) => this.#delay.run(() => this.#receive(bytes)),
      closed: () => this.#delay.clear(),
      failed: (error) => {
        this.#node.logger.debug(
          { err: error.message, code: error.code, peer: this.region },
          'peer unreachable or refused; retrying',
        );
      },
    });
  }

  get connected(): boolean {
    return this.#connection.connected;
  }
  /** The peer region's closure receipt, and how far this relay has durably merged its feed. */
  get closure(): PeerClosure {
    return { region: this.region, receipt: this.#closure, mergedUpTo: this.#acked };
  }

  start(): void {
    this.#connection.start();
  }

  #receive(bytes: Uint8Array): void {
    let message: Message;
    try {
      message = decodeMessage(bytes, this.#node.decodeLimits);
    } catch (err) {
      // Skipping it would leave a gap in the feed that the next batch's ack papers over: drop
      // what is queued and ask for the feed again from the durable cursor.
      this.#failed(err);
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
      this.#reset();
      this.#closure = undefined; // a receipt is of one store's feed: the peer sends it again
      this.#cursor = cursorName(this.region, message.epoch);
      this.#then(() => this.#request());
      // The peer dropped what this region's connections had shown it when the link went down.
      this.sendPresence(this.#node.presence.own());
    } else if (message.kind === 'feed-batch') {
      const fresh = this.#feed?.receive(message);
      if (fresh === 'full') this.#failed(new Error('too many gaps in the peer feed'));
      if (fresh === undefined || typeof fresh === 'string') return;
      const generation = this.#generation;
      this.#queued.push(fresh, rangeOf(message));
      this.#then(async () => {
        // With the batches queued behind it (see FeedQueue), unless taken with an earlier one.
        const taken = this.#queued.take(fresh);
        if (taken !== undefined) await this.#apply(taken.entries, generation, taken.ranges);
      });
    } else if (message.kind === 'feed-state') {
      const generation = this.#generation;
      this.#then(() => this.#mergePage(message, generation));
    } else if (message.kind === 'rights-grant') {
      this.#node.rightsGranted(this.region, message);
    } else if (message.kind === 'feed-closed') {
      this.#closure = { below: message.below, upTo: message.upTo };
    }
  }

  /**
   * Sends this region's presence changes to the peer, in messages of at most
   * {@link PRESENCE_BATCH} entries; dropped while the link is down (the peer drops what it had
   * then, and gets it all again once the link is back).
   */
  sendPresence(entries: readonly PeerPresenceEntry[]): void {
    for (let i = 0; i < entries.length; i += PRESENCE_BATCH) {
      this.#send({ kind: 'peer-presence', entries: entries.slice(i, i + PRESENCE_BATCH) });
    }
  }

  /** Asks the peer's relay for bounded-counter rights; dropped while the link is down. */
  askRights(request: RightsRequest): void {
    this.#send(request);
  }

  /**
   * Queues `step` behind the link's earlier steps. Once the link is closed nothing more runs, and
   * a step failing then (its store closed under it) is of no interest. Steps handle their own
   * failures while open; one that escapes is logged, never an unhandled rejection (fatal).
   */
  #then(step: () => Promise<void>): void {
    this.#chain = this.#chain
      .then(() => (this.#closed ? undefined : step()))
      .catch((err: unknown) => {
        if (!this.#closed)
          this.#node.logger.error({ err, peer: this.region }, 'peer link step failed');
      });
  }

  async #request(): Promise<void> {
    // Everything queued before is merged (or failed): the durable cursor is exact.
    let after: number;
    try {
      after = await this.#store.getCursor(this.#cursor);
    } catch (err) {
      if (this.#closed) return;
      // Without a cursor the feed cannot be asked for; a store that failed once (a dropped
      // database connection) may answer the next time.
      this.#node.logger.error(
        { err, peer: this.region },
        'reading the peer cursor failed; retrying',
      );
      this.#requestTimer = setTimeout(() => {
        this.#requestTimer = undefined;
        this.#then(() => this.#request());
      }, REQUEST_RETRY_MS);
      return;
    }
    this.#feed = new FeedProgress(after);
    this.#after = this.#acked = after;
    this.#send({ kind: 'feed-request', after });
  }

  /** Forgets what this connection received and held: the feed is asked for again. */
  #reset(): void {
    this.#feed = undefined;
    this.#queued.clear();
    this.#held = [];
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    clearTimeout(this.#requestTimer);
    this.#requestTimer = undefined;
  }

  /**
   * Merges feed entries (new batches', covering `ranges`, or held ones again), holding back
   * those not causally ready, commits with the cursor at the end of the contiguous prefix
   * merged, or before the first entry still held, and acknowledges that position. A failed
   * commit asks for the feed again, so its range counts as merged at once.
   */
  async #apply(entries: readonly FeedEntry[], generation: number, ranges: FeedRange[] = []) {
    if (generation !== this.#generation || this.#feed === undefined) return;
    const taking = new Set(entries);
    const others = this.#held.filter((h) => !taking.has(h.entry));
    const before = new Map(this.#held.map((h) => [h.entry.seq, h]));
    let upTo = this.#feed.merging();
    for (const range of ranges) upTo = this.#feed.merging(range);
    const cursorUpTo = others.length > 0 ? Math.min(others[0]!.entry.seq - 1, upTo) : upTo;
    try {
      const waits = await this.#node.applyFromPeer(
        this.region,
        entries,
        { peer: this.#cursor, upTo: cursorUpTo },
        {
          holding: new Set(others.map((h) => h.entry.doc)),
          force: new Set(this.#held.filter((h) => h.force).map((h) => h.entry.seq)),
        },
      );
      if (generation !== this.#generation) return;
      const bySeq = new Map(entries.map((e) => [e.seq, e]));
      const now = this.#node.now();
      const held = waits.map(
        (wait): Held => ({
          entry: bySeq.get(wait.seq)!,
          wait,
          since: before.get(wait.seq)?.since ?? now,
          force: false,
        }),
      );
      const fresh = held.filter((h) => !before.has(h.entry.seq));
      if (fresh.length > 0) {
        this.#node.logger.debug(
          {
            peer: this.region,
            held: fresh.map((h) => ({
              doc: h.wait.doc,
              seq: h.wait.seq,
              waitsFor: `${h.wait.unseen}`,
            })),
          },
          'peer entries name writes not merged yet; held back',
        );
      }
      this.#held = [...others, ...held].sort((a, b) => a.entry.seq - b.entry.seq);
      const ack = this.#held.length > 0 ? Math.min(this.#held[0]!.entry.seq - 1, upTo) : upTo;
      if (ack > this.#acked) {
        this.#acked = ack;
        this.#send({ kind: 'feed-ack', upTo: ack });
      }
      this.#retrySoon(generation);
    } catch (err) {
      this.#failed(err);
    }
  }

  /** While entries are held, checks every {@link WAIT_POLL_MS} whether some can be merged. */
  #retrySoon(generation: number): void {
    if (this.#held.length === 0 || this.#retryTimer !== undefined || this.#closed) return;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      this.#then(() => this.#retry(generation));
    }, WAIT_POLL_MS);
  }

  /** Merges the held entries again if some can go now (see {@link releaseHeld}). */
  async #retry(generation: number): Promise<void> {
    if (generation !== this.#generation || this.#closed || this.#held.length === 0) return;
    const node = this.#node;
    const release = releaseHeld(this.#held, {
      peer: this.region,
      docs: node.docs,
      decodeLimits: node.decodeLimits,
      logger: node.logger,
      now: node.now(),
      queued: this.#queued.batches,
    });
    if (release)
      await this.#apply(
        this.#held.map((h) => h.entry),
        generation,
      );
    else this.#retrySoon(generation);
  }

  /** A batch failed: the batches queued behind it are dropped, the feed asked for again. */
  #failed(err: unknown): void {
    if (this.#closed) return; // the store closed under a commit: nothing to ask for any more
    this.#node.logger.error(
      { err, peer: this.region },
      'merging a peer batch failed; re-requesting',
    );
    this.#generation++;
    this.#reset();
    this.#then(() => this.#request());
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
    if (!done) return;
    this.#feed = new FeedProgress(page.upTo);
    this.#after = this.#acked = page.upTo;
  }

  /**
   * Merges and commits a backfill page, with the cursor at `upTo` if given, then sends `then`.
   * Resolves whether it committed: not when the page is stale or failed.
   */
  async #commit(
    entries: readonly PeerEntry[],
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
      this.#failed(err);
      return false;
    }
  }

  #send(message: Message): void {
    this.#delay.run(() => {
      if (!this.#closed && this.#connection.connected)
        this.#connection.send(encodeMessage(message));
    });
  }

  close(): void {
    this.#closed = true;
    this.#reset();
    this.#delay.clear();
    this.#connection.close();
  }
}

/** Presence entries per `peer-presence` message: about 1 MiB at the largest states. */
const PRESENCE_BATCH = 500;

/** How long a link waits before it reads its cursor again after the store failed to answer. */
const REQUEST_RETRY_MS = 500;
