import { type CausalContext, type DecodeLimits, type DocumentId, decodeState } from '@helios/core';
import type { Logger } from 'pino';
import type { FeedSource } from './feed-tail.js';
import { ReplicatedNotifier } from './replicated-notifier.js';

/** A feed to one peer region (see FeedStream). */
export interface Feed {
  /** Sends what the peer has not received yet. */
  pump(): void;
}

/** How replication reaches the rest of the node. */
export interface ReplicationOutlet {
  /** Announces `dots` of `doc` as durable in every region to its subscribers on this node. */
  announce(doc: DocumentId, dots: CausalContext): void;
  /** Announces `dots` of `doc` as durable in peer region `region` (a step of writes' trails). */
  announceRegion(doc: DocumentId, region: string, dots: CausalContext): void;
  /** Whether a client of this node asked for those (else they are not worth reading the feed). */
  regionTrailWanted(): boolean;
  /** Tells the region's other nodes that `peer` acknowledged the feed up to `upTo`. */
  peerAcked(peer: string, upTo: number): void;
  /** Tells the region's other nodes that `peer` asked for the feed after `after`. */
  peerRewound(peer: string, after: number): void;
}

/** Where one peer region is in this region's feed (the relay's admin endpoint shows it). */
export interface PeerFeedStatus {
  readonly region: string;
  /** Feed position the peer acknowledged (it durably merged everything up to it). */
  readonly ackedUpTo: number;
  /** Changes of this region's feed the peer has not acknowledged yet. */
  readonly lagChanges: number;
  /** Since when (ms ago) the peer has been behind without catching up; 0 when it is not. */
  readonly lagMs: number;
}

/**
 * This region's feed to the peer regions: the feed streams to pump when it grows, where each
 * peer is in it, which dots are therefore durable in every region (announced as `replicated`),
 * and how far the store may drop the feed.
 */
export class Replication {
  readonly #store: FeedSource;
  readonly #decodeLimits: DecodeLimits;
  readonly #logger: Logger;
  readonly #outlet: ReplicationOutlet;
  readonly #peerRegions: readonly string[];
  readonly #feeds = new Set<Feed>();
  readonly #peerAcks = new Map<string, number>();
  readonly #replicated: ReplicatedNotifier;
  /** Per peer region: its announcer, how far it was announced, since when it is behind. */
  readonly #regions = new Map<
    string,
    { notifier: ReplicatedNotifier; announcedUpTo: number; behindSince: number | undefined }
  >();
  /** The highest feed position of this region's own changes committed on this node. */
  #head = 0;
  /** Feed position up to which `replicated` was announced, and the one being announced. */
  #replicatedUpTo = 0;
  #replicatedTarget = 0;
  #replicating: Promise<void> = Promise.resolve();
  #releaseTarget = 0;
  #releaseTimer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  constructor(
    store: FeedSource,
    peerRegions: readonly string[],
    decodeLimits: DecodeLimits,
    logger: Logger,
    outlet: ReplicationOutlet,
  ) {
    this.#store = store;
    this.#peerRegions = peerRegions;
    this.#decodeLimits = decodeLimits;
    this.#logger = logger;
    this.#outlet = outlet;
    this.#replicated = new ReplicatedNotifier((doc, dots) => outlet.announce(doc, dots));
    for (const region of peerRegions) {
      const notifier = new ReplicatedNotifier((doc, dots) =>
        outlet.announceRegion(doc, region, dots),
      );
      this.#regions.set(region, { notifier, announcedUpTo: 0, behindSince: undefined });
    }
  }

  /**
   * The position of the last change of this region's feed, read from the store: after a
   * restart this node has committed nothing yet, but the feed may hold changes from before.
   */
  async feedHead(): Promise<number> {
    let after = Math.max(this.#head, await this.#store.feedStart());
    for (;;) {
      const last = (await this.#store.readFeed(after, 1000)).at(-1);
      if (last === undefined) return after;
      after = last.seq;
    }
  }

  /** Where each peer region is in the feed, and how far behind. */
  status(now = Date.now()): PeerFeedStatus[] {
    return this.#peerRegions.map((region) => {
      const ackedUpTo = this.#peerAcks.get(region) ?? 0;
      const since = this.#regions.get(region)?.behindSince;
      return {
        region,
        ackedUpTo,
        lagChanges: Math.max(0, this.#head - ackedUpTo),
        lagMs: since === undefined ? 0 : Math.max(0, now - since),
      };
    });
  }

  /** Adds a feed stream to a peer; it is pumped as the feed grows until removed. */
  addFeed(feed: Feed): void {
    this.#feeds.add(feed);
  }

  removeFeed(feed: Feed): void {
    this.#feeds.delete(feed);
  }

  /** Pumps every feed stream: the feed may have grown. */
  pumpFeeds(): void {
    for (const feed of this.#feeds) feed.pump();
  }

  /**
   * A client delta became durable here. Without peers this region is every region: durable
   * here is durable everywhere.
   */
  durableHere(doc: DocumentId, dots: CausalContext): void {
    if (this.#peerRegions.length === 0) this.#replicated.add(doc, dots);
  }

  /** This region's own changes were committed, up to feed position `upTo`. */
  feedChanged(upTo: number): void {
    this.#head = Math.max(this.#head, upTo);
    for (const [region, r] of this.#regions) {
      if (r.behindSince === undefined && (this.#peerAcks.get(region) ?? 0) < upTo) {
        r.behindSince = Date.now();
      }
    }
    this.pumpFeeds();
    if (this.#peerRegions.length === 0) this.#releaseSoon(upTo);
  }

  /**
   * A peer has durably merged our feed up to `upTo`. Once every region has an entry, its dots
   * are replicated everywhere: subscribers hear it, and the store may drop the feed behind it.
   */
  recordPeerAck(peer: string, upTo: number): void {
    if (upTo <= (this.#peerAcks.get(peer) ?? -1)) return;
    this.#peerAcks.set(peer, upTo);
    this.#outlet.peerAcked(peer, upTo);
    this.#caughtUp(peer, upTo);
    this.#recomputeReplicated();
  }

  /** Another node of the region heard `peer` acknowledge the feed up to `upTo`. */
  heardPeerAck(peer: string, upTo: number): void {
    if (upTo > (this.#peerAcks.get(peer) ?? -1)) {
      this.#peerAcks.set(peer, upTo);
      this.#caughtUp(peer, upTo);
      this.#recomputeReplicated();
    }
  }

  /**
   * `peer` asked for our feed after `after`: that is where it is, even below an earlier ack (its
   * store was lost and it starts over). Lowering its position holds back further releases of the
   * feed, which it now needs, on every node; `replicated` notices stay as announced.
   */
  peerRequested(peer: string, after: number): void {
    this.#peerAcks.set(peer, after);
    this.#outlet.peerRewound(peer, after);
  }

  /** Another node of the region heard `peer` ask for the feed after `after`. */
  heardPeerRewind(peer: string, after: number): void {
    this.#peerAcks.set(peer, after);
  }

  /** A peer that acknowledged the whole feed as this node knows it is no longer behind. */
  #caughtUp(peer: string, upTo: number): void {
    const r = this.#regions.get(peer);
    if (r !== undefined && upTo >= this.#head) r.behindSince = undefined;
  }

  #recomputeReplicated(): void {
    if (this.#peerRegions.length === 0) return;
    let everywhere = Number.MAX_SAFE_INTEGER;
    for (const region of this.#peerRegions) {
      everywhere = Math.min(everywhere, this.#peerAcks.get(region) ?? 0);
    }
    this.#replicatedTarget = Math.max(this.#replicatedTarget, everywhere);
    this.#replicating = this.#replicating
      .then(() => this.#announceReplicated())
      .catch((err: unknown) => this.#logger.error({ err }, 'replication status failed'));
  }

  /**
   * Announces what became durable in each peer region and in every region since the last
   * announcement, in one read of the feed: from the lowest position with news to the highest.
   * A region that did not move adds nothing to the read (a lagging region does not make every
   * other region's acks re-read its backlog).
   */
  async #announceReplicated(): Promise<void> {
    const global = { from: this.#replicatedUpTo, to: this.#replicatedTarget };
    const wanted = this.#outlet.regionTrailWanted();
    const windows = [...this.#regions].flatMap(([region, r]) => {
      const to = this.#peerAcks.get(region) ?? 0;
      if (to <= r.announcedUpTo) return [];
      if (wanted) return [{ r, from: r.announcedUpTo, to }];
      r.announcedUpTo = to; // nobody asks: skipped, not read later either
      return [];
    });
    const moving = global.to > global.from ? [global, ...windows] : windows;
    if (moving.length === 0) return;
    let after = Math.min(...moving.map((w) => w.from));
    const upTo = Math.max(...moving.map((w) => w.to));
    for (;;) {
      const entries = await this.#store.readFeed(after, 1000);
      const inRange = entries.filter((e) => e.seq <= upTo);
      for (const entry of inRange) this.#announceEntry(entry, global, windows);
      const last = inRange[inRange.length - 1];
      if (last !== undefined) after = last.seq;
      if (inRange.length < entries.length || entries.length < 1000) break;
    }
    for (const w of windows) w.r.announcedUpTo = w.to;
    if (global.to > global.from) {
      this.#replicatedUpTo = global.to;
      this.#releaseSoon(global.to);
    }
  }

  /** Hands one feed entry's dots to the announcers whose window holds it. */
  #announceEntry(
    entry: { readonly seq: number; readonly doc: DocumentId; readonly delta: Uint8Array },
    global: { readonly from: number; readonly to: number },
    windows: readonly { r: { notifier: ReplicatedNotifier }; from: number; to: number }[],
  ): void {
    const within = (w: { from: number; to: number }) => entry.seq > w.from && entry.seq <= w.to;
    const regions = windows.filter(within);
    const everywhere = within(global);
    if (regions.length === 0 && !everywhere) return;
    let dots: CausalContext;
    try {
      dots = decodeState(entry.delta, this.#decodeLimits).state.context;
    } catch {
      return; // undecodable entries were refused at push time; nothing to announce
    }
    // Each region before every region: a client hears its write's regions, then 'global'.
    for (const w of regions) w.r.notifier.add(entry.doc, dots);
    if (everywhere) this.#replicated.add(entry.doc, dots);
  }

  /**
   * Lets the store drop feed entries every peer has, at most once a second: each release is a
   * durable write, which the commit path should not pay for.
   */
  #releaseSoon(upTo: number): void {
    this.#releaseTarget = Math.max(this.#releaseTarget, upTo);
    if (this.#releaseTimer !== undefined || this.#closed) return;
    this.#releaseTimer = setTimeout(() => {
      this.#releaseTimer = undefined;
      this.#store.release(this.#releaseTarget).catch((err: unknown) => {
        this.#logger.warn({ err }, 'releasing the feed failed; will retry');
      });
    }, 1_000);
    this.#releaseTimer.unref();
  }

  /** Stops releasing the feed: the relay is shutting down. */
  stop(): void {
    this.#closed = true;
    clearTimeout(this.#releaseTimer);
  }

  /** Resolves once the announcements queued so far are done. */
  settled(): Promise<void> {
    return this.#replicating.catch(() => {});
  }
}
