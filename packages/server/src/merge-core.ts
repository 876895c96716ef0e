import {
  type AnyCrdtState,
  type CausalContext,
  type DecodeLimits,
  type DocumentId,
  decodeState,
} from '@helios/core';
import type { Logger } from 'pino';
import { type CommitLane, CommitQueue, type CommittedUnit } from './commit-queue.js';
import { DocumentCache, type RelayDocument } from './documents.js';
import { RelayError } from './errors.js';
import { type FeedSource, FeedTail } from './feed-tail.js';
import { type LocalWrite, writesByDocument } from './local-write.js';
import type { RelayMetrics } from './metrics.js';
import type { PeerWait } from './node-ports.js';
import type { RelayOptions } from './options.js';
import {
  type MergedFromPeer,
  mergeFromPeer,
  type PeerEntries,
  type PeerMergePort,
  type PeerOps,
} from './peer-merge.js';
import { type CaughtUp, documentValues } from './read-model.js';
import { Snapshots } from './snapshots.js';
import type { NewChange, RelayStore, SlotFence, StoredChange } from './store/relay-store.js';

/** Where the merge core hands what it committed: the node's fan-out, cluster and replication. */
export interface CommitOutlet {
  /** `changes` of `doc` are durable (`deltas` decoded); `originSocket` wrote them, if one did. */
  committed(
    doc: RelayDocument,
    changes: readonly StoredChange[],
    deltas: readonly AnyCrdtState[],
    originSocket: string | undefined,
  ): void;
  /** A client delta's dots are durable in this region. */
  durableHere(doc: DocumentId, dots: CausalContext): void;
  /** `delta` was merged into `doc` (conflicts it left are counted and kept there). */
  merged(doc: RelayDocument, delta: AnyCrdtState): void;
  readonly caughtUp: CaughtUp;
}

/**
 * The relay's merge-and-commit core: the documents in memory, the group-commit queue, and the
 * one path every delta takes, whether a client's or a peer region's: merge into the document,
 * commit durably, then hand it to the {@link CommitOutlet}. It knows nothing of sockets.
 */
export class MergeCore {
  readonly docs: DocumentCache;
  /** This region's feed: from memory what this node just committed, where it is the one writer. */
  readonly feed: FeedSource;
  readonly #store: RelayStore;
  readonly #region: string;
  /** Whether several nodes share the region's store (a Redis URL is set). */
  readonly #shared: boolean;
  /**
   * Whether every commit of a document proves this node had merged all its earlier changes: a
   * store that keeps values refuses a batch whose values lack another node's change.
   */
  readonly #commitsComplete: boolean;
  readonly #decodeLimits: DecodeLimits;
  readonly #logger: Logger;
  readonly #metrics: RelayMetrics;
  readonly #commits: CommitQueue;
  readonly #snapshots: Snapshots;
  readonly #outlet: CommitOutlet;
  readonly #peerMerge: PeerMergePort;

  constructor(
    options: RelayOptions,
    decodeLimits: DecodeLimits,
    logger: Logger,
    metrics: RelayMetrics,
    outlet: CommitOutlet,
    bulkRest?: (busyMs: number) => number,
  ) {
    this.#store = options.store;
    this.#region = options.region;
    this.#shared = options.redisUrl !== undefined;
    this.#commitsComplete = !this.#shared || options.store.keepsValues === true;
    this.#decodeLimits = decodeLimits;
    this.#logger = logger;
    this.#metrics = metrics;
    this.#outlet = outlet;
    this.docs = new DocumentCache(options.store, decodeLimits, options.maxCachedDocuments);
    const tail = this.#shared ? undefined : new FeedTail(options.region);
    this.feed = tail?.source(options.store) ?? options.store;
    this.#commits = new CommitQueue(options.store, options.maxCommitBatch ?? 5000, {
      observe: (s, n) => {
        metrics.commitSeconds.observe(s);
        metrics.commitBatchSize.observe(n);
      },
      redone: () => metrics.commitsRedone.inc(),
      ...(tail ? { settled: (changes, seqs) => tail.record(changes, seqs) } : {}),
      ...(bulkRest ? { bulkRest } : {}),
      ...(options.store.keepsValues
        ? { valuesOf: documentValues(this.docs, decodeLimits, this.#shared, outlet.caughtUp) }
        : {}),
    });
    this.#snapshots = new Snapshots(
      options.store,
      options.snapshotEvery ?? options.store.snapshotEvery ?? 500,
      this.#shared,
      decodeLimits,
      logger,
    );
    this.#peerMerge = {
      docs: this.docs,
      decodeLimits,
      logger,
      metrics,
      merge: (doc, delta) => this.#merge(doc, delta),
      refresh: (doc) => this.refresh(doc),
    };
  }

  /** Whether the bulk commit lane is full. */
  get bulkFull(): boolean {
    return this.#commits.bulkFull;
  }

  /** `undefined` if the bulk commit lane has room, otherwise a promise of room in it. */
  bulkRoom(): Promise<void> | undefined {
    return this.#commits.room();
  }

  /** Resolves once the commit queue is idle (at shutdown: nothing more is queued then). */
  flush(): Promise<void> {
    return this.#commits.flush();
  }

  /** Resolves once every commit queued so far is committed or failed, however busy the queue. */
  barrier = (): Promise<void> => this.#commits.barrier();

  /**
   * With several nodes per region, another node may have committed changes this node missed:
   * reload the document when the store is ahead of it.
   */
  async refresh(doc: RelayDocument): Promise<void> {
    // With several nodes, `lastSeq` only moves on reads of the store (see #committed), so a
    // document created here (lastSeq 0) may still have been committed to by another node.
    if (!this.#shared) return;
    const last = await this.#store.lastSeq(doc.id);
    if (last <= doc.lastSeq) return;
    const stored = await this.#store.load(doc.id);
    if (stored === undefined) return;
    // Another node's snapshot may cover changes this node never merged (and that are gone).
    if (stored.snapshot !== null && stored.snapshotSeq > doc.lastSeq) {
      this.mergeBytes(doc, stored.snapshot);
    }
    for (const change of stored.changes) {
      if (change.seq > doc.lastSeq) this.mergeBytes(doc, change.delta);
    }
    doc.lastSeq = Math.max(doc.lastSeq, last);
  }

  /**
   * The merge path of a validated client delta: join into the document (at once, so the
   * connection's next delta is validated against it), durable commit, then ack (by the
   * caller), fan-out to the document's subscribers and to the peer regions. `lane`: a bulk
   * writer's deltas commit in the bulk lane (see {@link CommitQueue}). The relay's own writes
   * (rights it moves) take this path too, from no socket, `fence`d by its node slot.
   */
  applyLocal(
    doc: RelayDocument,
    bytes: Uint8Array,
    delta: AnyCrdtState,
    originSocket: string | undefined,
    lane: CommitLane,
    fence?: SlotFence,
  ): Promise<number> {
    this.mergeLocal(doc, delta);
    return this.commitLocal([{ doc, bytes, delta }], originSocket, lane, false, fence).then(
      ([seq]) => seq!,
    );
  }

  /**
   * Joins a validated client delta into its document at once, so that the connection's next
   * delta is validated against it. It must be handed to {@link commitLocal} in the same turn
   * (no await between): memory then never holds a client delta that no commit is queued for.
   */
  mergeLocal(doc: RelayDocument, delta: AnyCrdtState): void {
    this.#merge(doc, delta);
  }

  /**
   * Commits client deltas joined by {@link mergeLocal} as one unit: one promise, one set of
   * metrics and one turn of the outlet for all of them rather than one per delta. `oneWriter`:
   * they are all one replica's, so each document's are stored, fed to peers and fanned out as
   * one joined delta (see {@link writesByDocument}). Resolves with the feed seqs of the changes
   * stored once they are durable; fan-out to the subscribers and the peer regions follows.
   */
  commitLocal(
    writes: readonly LocalWrite[],
    originSocket: string | undefined,
    lane: CommitLane,
    oneWriter = false,
    fence?: SlotFence,
  ): Promise<number[]> {
    const origin = this.#region;
    const byDocument = writesByDocument(writes, oneWriter);
    const changes: NewChange[] = [];
    for (const [doc, { parts }] of byDocument) {
      for (const { bytes } of parts) changes.push({ doc: doc.id, delta: bytes, origin });
    }
    return this.#commits.commit({ changes, ...(fence ? { fence } : {}) }, lane).then(
      (committed) => {
        let at = 0;
        for (const [doc, { parts, count }] of byDocument) {
          this.#metrics.deltasMerged.inc({ type: doc.type.name, origin }, count);
          const stored = parts.map(() => {
            const i = at++;
            return storedChange(changes[i]!, committed, i);
          });
          const deltas = parts.map((p) => p.delta);
          for (const delta of deltas) this.#outlet.durableHere(doc.id, delta.context);
          this.#committed(doc, stored, deltas, originSocket);
        }
        return committed.seqs;
      },
      (err: unknown) => {
        // The in-memory state may now hold deltas the store does not: drop them, reload later.
        for (const doc of byDocument.keys()) this.docs.evict(doc.id);
        this.#logger.error({ err, docs: [...byDocument.keys()].map((d) => d.id) }, 'commit failed');
        throw new RelayError('unavailable', 'the relay could not store this delta; retry');
      },
    );
  }

  /**
   * The merge path of a delta the relay made itself, as its replica, to apply a queued write
   * request (a SQL write): join, durable commit that also removes the request from its queue,
   * then fan-out to subscribers and peer regions, like a client's. `fence` is the turn at
   * applying the requests that the commit must still hold (see `WriteRequestQueue.fence`).
   */
  applyOwn(
    doc: RelayDocument,
    delta: AnyCrdtState,
    request: number,
    fence: SlotFence | undefined,
  ): Promise<void> {
    this.#merge(doc, delta);
    const bytes = doc.type.encode(delta);
    const change = { doc: doc.id, delta: bytes, origin: this.#region };
    const unit = { changes: [change], requests: [request], ...(fence ? { fence } : {}) };
    return this.#commits.commit(unit).then(
      (committed) => {
        this.#metrics.deltasMerged.inc({ type: doc.type.name, origin: change.origin });
        this.#committed(doc, [storedChange(change, committed, 0)], [delta], undefined);
      },
      (err: unknown) => {
        this.docs.evict(doc.id);
        throw err;
      },
    );
  }

  /**
   * A replayed client delta (every dot of it merged here already) is acknowledged without being
   * stored or sent on again, once the commits queued before it are durable: one of them holds
   * its dots, unless they came from the store. Its bytes go nowhere, so whatever a replay carries
   * for a superseded dot (whose content no receiver can check any more) reaches no one.
   */
  async confirmReplay(doc: RelayDocument): Promise<void> {
    await this.#commits.barrier();
    // A failed commit evicts its documents: then the dots may not be durable after all.
    if (this.docs.peek(doc.id) !== doc) {
      throw new RelayError('unavailable', 'the relay could not confirm this delta; retry');
    }
  }

  /**
   * Merges deltas (a feed batch, or a backfill page of whole states) from the region `peer`,
   * durably with the cursor that records them, if any: a backfill page but the last has none.
   *
   * A feed batch's entries are operations (one client push each, `ops`), merged only once they
   * are causally ready (docs/architecture.md §2.1). One that is not is held back, with every
   * later entry of its document (and of the documents in `ops.holding`), and returned; the
   * others are merged. The cursor then stops before the first held entry, so a restart asks for
   * it again. Entries whose seq is in `ops.force` are merged whatever they wait for.
   */
  async applyFromPeer(
    peer: string,
    entries: PeerEntries,
    cursor: { readonly peer: string; readonly upTo: number } | undefined,
    ops?: PeerOps,
  ): Promise<PeerWait[]> {
    // With a read model, no value is taken while this batch is merged and not yet queued: it
    // would hold deltas no commit may ever store (see CommitQueue.holdValues).
    const release = this.#store.keepsValues ? await this.#commits.holdValues() : undefined;
    let merged: MergedFromPeer;
    let committing: Promise<CommittedUnit> | undefined;
    try {
      merged = await mergeFromPeer(this.#peerMerge, peer, entries, ops);
      const { changes, held } = merged;
      if (held.length > 0 && cursor !== undefined) {
        // The cursor stops before the first held entry, so a restart loses nothing.
        cursor = { ...cursor, upTo: Math.min(cursor.upTo, held[0]!.seq - 1) };
      }
      if (changes.length > 0 || cursor !== undefined) {
        committing = this.#commits.commit(
          { changes, ...(cursor !== undefined ? { cursor } : {}) },
          'bulk',
        );
      }
    } finally {
      release?.();
    }
    const { changes, decoded, held } = merged;
    if (committing === undefined) return held;
    let committed: CommittedUnit;
    try {
      committed = await committing;
    } catch (err) {
      // Memory may now hold deltas the store does not: forget those documents, reload later.
      for (const change of changes) this.docs.evict(change.doc);
      throw err;
    }
    changes.forEach((change, i) => {
      const doc = this.docs.peek(change.doc);
      this.#metrics.deltasMerged.inc({ type: doc?.type.name ?? 'unknown', origin: peer });
      if (doc) this.#committed(doc, [storedChange(change, committed, i)], [decoded[i]!], undefined);
    });
    return held;
  }

  #merge(doc: RelayDocument, delta: AnyCrdtState): void {
    const started = performance.now();
    doc.type.merge(doc.state, delta);
    this.#metrics.mergeSeconds.observe((performance.now() - started) / 1000);
    this.#outlet.merged(doc, delta);
  }

  /** Merges an encoded change (another node's, stored or heard of) into `doc`; returns it decoded. */
  mergeBytes(doc: RelayDocument, bytes: Uint8Array): AnyCrdtState | undefined {
    try {
      const { type, state } = decodeState(bytes, this.#decodeLimits);
      if (type !== doc.type) return undefined;
      doc.type.merge(doc.state, state);
      return state;
    } catch (err) {
      this.#logger.error({ err, doc: doc.id }, 'undecodable stored change; skipped');
      return undefined;
    }
  }

  /** After a commit: advance the document, hand the changes on, compact. */
  #committed(
    doc: RelayDocument,
    changes: readonly StoredChange[],
    deltas: readonly AnyCrdtState[],
    originSocket: string | undefined,
  ): void {
    for (const change of changes) {
      // With several nodes, seqs are shared: another node may hold a lower seq this one has not
      // merged yet, so only a read of the store (load, refresh) may advance `lastSeq`, unless
      // the store checked at commit that this node had every earlier change (values' basis).
      if (this.#commitsComplete) doc.lastSeq = Math.max(doc.lastSeq, change.seq);
      doc.changesSinceSnapshot++;
      doc.changeBytesSinceSnapshot += change.delta.length;
    }
    this.#outlet.committed(doc, changes, deltas, originSocket);
    this.#snapshots.maybeTake(doc);
  }
}

/** Change `i` of a committed unit as stored: its seq, and its prior where the store told it. */
function storedChange(change: NewChange, committed: CommittedUnit, i: number): StoredChange {
  const seq = committed.seqs[i]!;
  const prior = committed.priors?.[i];
  return prior === undefined ? { ...change, seq } : { ...change, seq, prior };
}
