import type {
  CommitBatch,
  CommitOutcome,
  DocumentValue,
  NewChange,
  RelayStore,
  SlotFence,
} from './store/relay-store.js';

/** The values of the documents `changes` change, for a store that keeps a read model. */
export type ValuesOf = (changes: readonly NewChange[]) => Promise<DocumentValue[]>;

/** Changes that must land in one transaction, with the peer cursor they advance (if any). */
export interface CommitUnit {
  readonly changes: readonly NewChange[];
  readonly cursor?: { readonly peer: string; readonly upTo: number };
  /** The queued write requests the changes apply (see `CommitBatch.requests`). */
  readonly requests?: readonly number[];
  /** The node slot whose replica's dots the changes mint (see `CommitBatch.fences`). */
  readonly fence?: SlotFence;
}

/**
 * Which line a unit waits in. `interactive`: a person's write (an ordinary client's push),
 * whose ack someone is waiting for. `bulk`: a bulk writer's pushes and peer batches, which
 * count in throughput, not in the latency of one write.
 */
export type CommitLane = 'interactive' | 'bulk';

/**
 * How long a bulk commit should take (ms): an interactive unit waits for one at most. Bulk
 * batches are sized to it from the commits measured so far.
 */
const BULK_COMMIT_MS = 2;
/** The fewest changes a bulk batch is given, however slow commits are. */
const MIN_BULK_BATCH = 64;

/**
 * A unit once durable: the seqs of its changes and, from a store several nodes share, each
 * change's prior (the seq of its document's change before it, see {@link CommitOutcome}).
 */
export interface CommittedUnit {
  readonly seqs: number[];
  readonly priors?: number[];
}

/** A batch's commit: the store's outcome, priors only from a store several nodes share. */
type Committed = Pick<CommitOutcome, 'seqs' | 'redone'> & { readonly priors?: number[] };

interface Pending {
  readonly unit: CommitUnit;
  readonly resolve: (committed: CommittedUnit) => void;
  readonly reject: (err: unknown) => void;
}

/** One lane's queue, and the promise of its newest unit (resolved once it is committed). */
class Lane {
  readonly queue: Pending[] = [];
  /** Changes queued and not yet taken into a commit. */
  changes = 0;
  last: Promise<unknown> = Promise.resolve();
  /** Its commits being written, one after the other, while it has units. */
  running: Promise<void> | undefined;

  /** The first units, up to `max` changes (at least one unit) or `count` units. */
  take(max: number, count = Number.POSITIVE_INFINITY): Pending[] {
    const batch: Pending[] = [];
    let size = 0;
    while (this.queue.length > 0 && batch.length < count && (batch.length === 0 || size < max)) {
      const next = this.queue.shift()!;
      batch.push(next);
      size += next.unit.changes.length;
    }
    this.changes -= size;
    return batch;
  }
}

/** What a {@link CommitQueue} is told besides its store and its largest batch. */
export interface CommitQueueOptions {
  /** Called after each commit with its time (s) and its number of changes (the metrics). */
  readonly observe?: (seconds: number, changes: number) => void;
  /** Called after a commit that a store several nodes share had to redo (the metrics). */
  readonly redone?: () => void;
  /** A monotonic clock in ms that times the commits (a test's own, for one). */
  readonly now?: () => number;
  /**
   * For a store that keeps a read model: the values each batch carries (computed as the batch
   * is written, so they hold every change merged up to then).
   */
  readonly valuesOf?: ValuesOf;
  /**
   * How long the bulk lane rests after a commit that took `busyMs` before it hands the store
   * its next batch (the relay's `LoopShare.restAfter`: while ordinary clients are active, the
   * store then idles as much as bulk work takes, so a person's commit mostly finds it idle and
   * the disk quiet). Default: no rest.
   */
  readonly bulkRest?: (busyMs: number) => number;
  /** Called with each batch's changes once it settles: their seqs, or undefined if it failed. */
  readonly settled?: (changes: readonly NewChange[], seqs: readonly number[] | undefined) => void;
}

/**
 * Group commit in two lanes: units queued while a commit is in flight are written together by
 * a later one, so a busy relay pays one durable write for many deltas while every ack still
 * follows the commit of its delta.
 *
 * Units of one lane commit in the order they were queued, one commit in flight per lane. The
 * lanes do not wait for each other: an interactive unit's commit is handed to the store at once,
 * and the store (which applies commits in call order) writes it right after the bulk batch in
 * flight, if any; it holds only interactive units, so it is small and quick. Bulk batches are
 * sized by load, to what the store commits in about 2 ms (at least 64 changes, at most
 * `maxChanges`), so that wait stays short whatever the store's speed. Reordering across
 * lanes is safe: a unit is queued after its delta was merged in memory, and no client or peer
 * can have seen a delta before its commit (fan-out and feed follow it), so no unit depends on
 * one queued in the other lane.
 */
export class CommitQueue {
  readonly #store: RelayStore;
  readonly #maxChanges: number;
  readonly #observe: (seconds: number, changes: number) => void;
  readonly #redone: () => void;
  readonly #now: () => number;
  readonly #valuesOf: ValuesOf | undefined;
  readonly #bulkRest: ((busyMs: number) => number) | undefined;
  readonly #settled: CommitQueueOptions['settled'];
  /** With values: the turn in which the next batch is put together and handed to the store. */
  #handOff: Promise<unknown> = Promise.resolve();
  /** With values: settles once the batch last handed to the store has (true if committed). */
  #lastCommit: Promise<boolean> = Promise.resolve(true);
  /** With values: holders of {@link holdValues} not yet released. */
  #holds = 0;
  #unheldWaiters: (() => void)[] = [];
  /** With values: settles once the values being taken, if any, are. */
  #valuing: Promise<void> = Promise.resolve();
  readonly #interactive = new Lane();
  readonly #bulk = new Lane();
  #roomWaiters: (() => void)[] = [];
  /** Changes a bulk batch takes: what commits in about {@link BULK_COMMIT_MS}. */
  #bulkBatch: number;
  /** Recent commit time per change (ms), a moving average; undefined before the first. */
  #msPerChange: number | undefined;

  constructor(store: RelayStore, maxChanges: number, options: CommitQueueOptions = {}) {
    this.#store = store;
    this.#maxChanges = maxChanges;
    this.#observe = options.observe ?? (() => {});
    this.#redone = options.redone ?? (() => {});
    this.#now = options.now ?? (() => performance.now());
    this.#valuesOf = options.valuesOf;
    this.#bulkRest = options.bulkRest;
    this.#settled = options.settled;
    // Until a commit was measured: a modest guess.
    this.#bulkBatch = Math.min(maxChanges, 4 * MIN_BULK_BATCH);
  }

  /** Queues a unit; resolves with the seqs of its changes once they are durable. */
  commit(unit: CommitUnit, lane: CommitLane = 'interactive'): Promise<CommittedUnit> {
    const queue = lane === 'bulk' ? this.#bulk : this.#interactive;
    const done = new Promise<CommittedUnit>((resolve, reject) => {
      queue.queue.push({ unit, resolve, reject });
      queue.changes += unit.changes.length;
      queue.running ??= this.#drain(queue);
    });
    queue.last = done.catch(() => {});
    return done;
  }

  /**
   * Resolves once every unit queued so far, in either lane, is committed or failed: what a
   * replayed delta's ack waits for (one of those units may hold its dots).
   */
  async barrier(): Promise<void> {
    await Promise.all([this.#interactive.last, this.#bulk.last]);
  }

  /** Whether the bulk lane has a whole batch waiting behind the one being written. */
  get bulkFull(): boolean {
    return this.#bulk.changes >= this.#bulkBatch;
  }

  /**
   * `undefined` while the bulk lane has room: less than a batch waiting behind the one being
   * written. Otherwise a promise that resolves when it has. Bulk writers wait for it before
   * merging more, so their backlog (memory ahead of the store, and unacked deltas) stays
   * bounded and an interactive commit never waits behind more than one batch.
   */
  room(): Promise<void> | undefined {
    if (!this.bulkFull) return undefined;
    return new Promise((resolve) => this.#roomWaiters.push(resolve));
  }

  /**
   * With values: no batch takes its values until the returned release is called. For work that
   * merges deltas into memory over several turns and queues them once done (a peer's feed
   * batch, whose entries may wait for their documents to load): a value taken meanwhile would
   * hold deltas that are in no queue yet, and may never be committed. Resolves once values
   * already being taken are done, so none of them sees that work's deltas either.
   */
  async holdValues(): Promise<() => void> {
    this.#holds++;
    await this.#valuing;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--this.#holds > 0) return;
      const waiters = this.#unheldWaiters;
      this.#unheldWaiters = [];
      for (const wake of waiters) wake();
    };
  }

  /** Resolves when everything queued so far is committed (or failed). */
  async flush(): Promise<void> {
    for (const lane of [this.#interactive, this.#bulk]) {
      while (lane.running) await lane.running;
    }
  }

  async #drain(lane: Lane): Promise<void> {
    const bulk = lane === this.#bulk;
    // A bulk batch takes everything pushed in this turn of the loop. An interactive unit goes to
    // the store at once, so that it is behind the bulk batch in flight and no other; what is
    // pushed while it is written goes in the next one.
    if (bulk) await new Promise<void>((r) => setImmediate(r));
    while (lane.queue.length > 0) {
      const started = this.#now();
      const take = () => lane.take(bulk ? this.#bulkBatch : this.#maxChanges);
      if (this.#valuesOf !== undefined) {
        await this.#writeWithValues(take, this.#valuesOf, bulk);
      } else {
        const batch = take();
        if (bulk) this.#wakeRoomWaiters();
        await this.#write(batch, bulk);
      }
      const rest = bulk ? (this.#bulkRest?.(this.#now() - started) ?? 0) : 0;
      if (rest > 0) await new Promise<void>((r) => setTimeout(r, rest));
    }
    lane.running = undefined;
  }

  #wakeRoomWaiters(): void {
    if (this.bulkFull || this.#roomWaiters.length === 0) return;
    const waiters = this.#roomWaiters;
    this.#roomWaiters = [];
    for (const wake of waiters) wake();
  }

  /** Sizes bulk batches to commit in about {@link BULK_COMMIT_MS}, after a commit of `n`. */
  #measured(ms: number, n: number): void {
    if (n === 0) return;
    const perChange = ms / n;
    this.#msPerChange =
      this.#msPerChange === undefined ? perChange : 0.7 * this.#msPerChange + 0.3 * perChange;
    const fit = Math.floor(BULK_COMMIT_MS / this.#msPerChange);
    this.#bulkBatch = Math.min(this.#maxChanges, Math.max(MIN_BULK_BATCH, fit));
  }

  async #write(batch: readonly Pending[], bulk: boolean): Promise<void> {
    const started = this.#now();
    const payload = batchOf(batch);
    let committing: Promise<Committed>;
    try {
      committing = this.#commitBatch(payload);
    } catch (err) {
      committing = Promise.reject(err);
    }
    await this.#settle(batch, payload.changes, bulk, started, committing);
  }

  /**
   * The write of a batch for a store that keeps a read model. Its values must hold exactly the
   * committed deltas, while memory holds every delta merged so far, committed or still queued.
   * So batches are put together and handed to the store one at a time, each once the one before
   * has settled (the store commits them one after the other anyway): if that one failed, its
   * units' handlers have evicted their documents, and the values are taken from the store
   * again. And a batch takes along every unit still queued for its documents, in either lane,
   * with the units queued before it in its lane (a lane's order is kept: a peer's cursor never
   * lands before the changes it covers), and so on for the documents those bring: no delta of
   * a document waits in a queue when its value is taken.
   */
  async #writeWithValues(take: () => Pending[], valuesOf: ValuesOf, bulk: boolean): Promise<void> {
    let settled: Promise<boolean> = Promise.resolve(true);
    const turn = this.#handOff.then(async () => {
      if (!(await this.#lastCommit)) await new Promise<void>((resolve) => setImmediate(resolve));
      while (this.#holds > 0)
        await new Promise<void>((resolve) => this.#unheldWaiters.push(resolve));
      // From here to the values, in this turn: a hold asked for later waits for #valuing.
      const batch = this.#withQueuedUnitsOf(take());
      this.#wakeRoomWaiters();
      if (batch.length === 0) return;
      const payload = batchOf(batch);
      let committing: Promise<Committed>;
      let started = this.#now();
      let valued!: () => void;
      this.#valuing = new Promise((resolve) => {
        valued = resolve;
      });
      try {
        const values = await valuesOf(payload.changes);
        started = this.#now();
        committing = this.#commitBatch({ ...payload, values });
      } catch (err) {
        committing = Promise.reject(err);
      } finally {
        valued();
      }
      settled = this.#settle(batch, payload.changes, bulk, started, committing);
      this.#lastCommit = settled;
    });
    this.#handOff = turn.catch(() => {});
    await turn;
    await settled;
  }

  /** `batch` and every unit still queued for its documents (see {@link #writeWithValues}). */
  #withQueuedUnitsOf(batch: Pending[]): Pending[] {
    const docs = new Set(batch.flatMap((p) => p.unit.changes.map((c) => c.doc)));
    for (let grew = batch.length > 0; grew; ) {
      grew = false;
      for (const lane of [this.#interactive, this.#bulk]) {
        let last = lane.queue.length - 1;
        while (last >= 0 && !lane.queue[last]!.unit.changes.some((c) => docs.has(c.doc))) last--;
        if (last < 0) continue;
        for (const p of lane.take(Number.POSITIVE_INFINITY, last + 1)) {
          batch.push(p);
          for (const c of p.unit.changes) docs.add(c.doc);
        }
        grew = true;
      }
    }
    return batch;
  }

  /** Commits a batch: with each change's prior where the store has them. */
  #commitBatch(batch: CommitBatch): Promise<Committed> {
    const store = this.#store;
    return store.commitShared
      ? store.commitShared(batch)
      : store.commit(batch).then((seqs) => ({ seqs, redone: false }));
  }

  /**
   * Resolves or rejects the batch's units (whose changes, in order, are `changes`) once
   * `committing` settles; true if it committed.
   */
  async #settle(
    batch: readonly Pending[],
    changes: readonly NewChange[],
    bulk: boolean,
    started: number,
    committing: Promise<Committed>,
  ): Promise<boolean> {
    try {
      const { seqs, priors, redone } = await committing;
      const ms = this.#now() - started;
      if (bulk) this.#measured(ms, seqs.length);
      this.#observe(ms / 1000, seqs.length);
      if (redone) this.#redone();
      this.#settled?.(changes, seqs);
      let at = 0;
      for (const p of batch) {
        const end = at + p.unit.changes.length;
        p.resolve(
          priors === undefined
            ? { seqs: seqs.slice(at, end) }
            : { seqs: seqs.slice(at, end), priors: priors.slice(at, end) },
        );
        at = end;
      }
      return true;
    } catch (err) {
      this.#settled?.(changes, undefined);
      for (const p of batch) p.reject(err);
      return false;
    }
  }
}

/** What a batch of units commits. */
function batchOf(batch: readonly Pending[]): CommitBatch {
  const changes: NewChange[] = [];
  const cursors: { peer: string; upTo: number }[] = [];
  const requests: number[] = [];
  const fences: SlotFence[] = [];
  for (const p of batch) {
    changes.push(...p.unit.changes);
    if (p.unit.cursor) cursors.push(p.unit.cursor);
    if (p.unit.requests) requests.push(...p.unit.requests);
    if (p.unit.fence) fences.push(p.unit.fence);
  }
  return {
    changes,
    ...(cursors.length > 0 ? { cursors } : {}),
    ...(requests.length > 0 ? { requests } : {}),
    ...(fences.length > 0 ? { fences } : {}),
  };
}
