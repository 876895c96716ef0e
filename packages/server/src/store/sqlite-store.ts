import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { DocumentId } from '@helios/core';
import { packBatch } from './commit-packing.js';
import { StoreClosedError, StoreError, type StoreErrorCode } from './errors.js';
import { aheadError, checkBatch, checkName, checkSeq } from './internal.js';
import { type PackedDocument, unpackDocument } from './packed-document.js';
import type { CommitBatch, RelayStore, StoredChange, StoredDocument } from './relay-store.js';
import type { SqliteEngineOptions, SqliteStoreOptions } from './sqlite-engine.js';
import type { EngineArgs, EngineCall, EngineMethod, EngineReply } from './sqlite-protocol.js';
import { TurnBatches } from './turn-batches.js';
import type { ReplicaClaim, SnapshotWrite } from './worker-writes.js';

export type { SqliteStoreOptions } from './sqlite-engine.js';

/**
 * The module of one of the store's threads (`name`, a compiled file of this folder). Loaded from
 * the TypeScript sources (by the test runner), this module starts the compiled one instead: a
 * worker thread cannot load TypeScript, and the package's `test` script builds before it tests.
 */
function threadModule(name: string): URL {
  return new URL(
    import.meta.url.endsWith('.ts') ? `../../dist/store/${name}` : `./${name}`,
    import.meta.url,
  );
}

/** The thread that owns the engine (sqlite-worker.ts). */
const WORKER_URL = threadModule('sqlite-worker.js');
/** The thread that checkpoints the write-ahead log (sqlite-checkpointer.ts). */
const CHECKPOINTER_URL = threadModule('sqlite-checkpointer.js');

/** How often the checkpointer copies the write-ahead log into the database (ms). */
const CHECKPOINT_EVERY_MS = 200;

/** Replica claims per transaction at most: a batch stays one short write however many come. */
const CLAIMS_PER_BATCH = 1_000;

/**
 * Snapshots per transaction at most. Most are of small documents; a large document's comes
 * rarely (once its changes weigh as much as it: see Snapshots).
 */
const SNAPSHOTS_PER_BATCH = 64;

/**
 * Document loads per read transaction at most: after a restart, the thousand documents the
 * returning clients subscribe to in one turn come back in a few calls, not a thousand, and a
 * commit waits behind one batch at most.
 */
const LOADS_PER_BATCH = 64;

/** Released feed changes looked at per step of a release. */
const COMPACT_STEP = 1000;

interface Waiting {
  readonly resolve: (value: unknown) => void;
  readonly reject: (err: unknown) => void;
}

/**
 * The embedded {@link RelayStore}: one SQLite file per relay, written by a worker thread of its
 * own. better-sqlite3 is synchronous: on the relay's thread every commit, with its fsync, would
 * stop the event loop (and every other client) until it is done. The worker does the calls
 * one at a time, in call order, so `commit`s apply in call order as the interface requires.
 */
export class SqliteStore implements RelayStore {
  readonly region: string;
  /**
   * A snapshot here is a small transaction that is not synced (see the engine): taken every 16
   * changes, it cost the relay nothing measurable under saturation, and a relay that restarts
   * folds 16 changes per document at most instead of 500 (bench/RELAY.md, reconnect storm).
   */
  readonly snapshotEvery = 16;
  readonly #worker: Worker;
  /** The thread that checkpoints the write-ahead log; none for an in-memory store. */
  #checkpointer: Worker | undefined;
  readonly #waiting = new Map<number, Waiting>();
  readonly #claims = new TurnBatches<ReplicaClaim, string>(
    (claims) => this.#call('claimReplicas', [claims]) as Promise<string[]>,
    CLAIMS_PER_BATCH,
  );
  readonly #loads = new TurnBatches<DocumentId, PackedDocument | undefined>(
    (docs) => this.#call('load', [docs]) as Promise<(PackedDocument | undefined)[]>,
    LOADS_PER_BATCH,
  );
  /** Each batch's answer: per snapshot, why it was refused (past the last commit), if it was. */
  readonly #snapshots = new TurnBatches<SnapshotWrite, StoreError | undefined>(
    (writes) =>
      (this.#call('saveSnapshots', [writes]) as Promise<number>).then((head) =>
        writes.map(({ upToSeq }) => aheadError('upToSeq', upToSeq, head)),
      ),
    SNAPSHOTS_PER_BATCH,
  );
  #epoch = '';
  #nextId = 1;
  #closed = false;
  /** Why the worker stopped, when it stopped without being closed. */
  #failure: Error | undefined;

  private constructor(worker: Worker, region: string) {
    this.#worker = worker;
    this.region = region;
    worker.on('message', (message: EngineReply) => this.#settle(message));
    worker.on('error', (err: Error) => this.#stop(err));
    worker.on('exit', (code) => this.#stop(new Error(`it exited with code ${code}`)));
  }

  get epoch(): string {
    return this.#epoch;
  }

  /**
   * Opens (creating if absent) the store at `path`. Refuses a file written for another region:
   * its feed would be read as this region's.
   */
  static async open(options: SqliteStoreOptions): Promise<SqliteStore> {
    checkName('region', options.region);
    if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
    const onDisk = options.path !== ':memory:';
    // With a checkpointer, the writer's own checkpoints are only a backstop (see the engine).
    const engineOptions: SqliteEngineOptions = { ...options, checkpointer: onDisk };
    const store = new SqliteStore(
      new Worker(WORKER_URL, { workerData: engineOptions }),
      options.region,
    );
    try {
      store.#epoch = (await store.#call('open', [])) as string;
      if (onDisk) {
        store.#checkpointer = new Worker(CHECKPOINTER_URL, {
          workerData: {
            path: options.path,
            everyMs: CHECKPOINT_EVERY_MS,
            synchronous: options.synchronous ?? 'full',
          },
        });
        store.#checkpointer.unref();
        // It could not open the file: the writer's backstop checkpoints bound the log instead.
        store.#checkpointer.on('error', () => {
          store.#checkpointer = undefined;
        });
      }
      return store;
    } catch (err) {
      store.#closed = true;
      await store.#worker.terminate();
      throw err;
    }
  }

  /**
   * Gathered into one read with the loads asked for meanwhile (see TurnBatches): each call to
   * the worker costs the relay's thread a message both ways, more than reading a small document.
   */
  async load(doc: DocumentId): Promise<StoredDocument | undefined> {
    if (this.#closed) throw new StoreClosedError('SqliteStore');
    const packed = await this.#loads.add(doc);
    return packed === undefined ? undefined : unpackDocument(doc, packed);
  }

  commit(batch: CommitBatch): Promise<number[]> {
    try {
      // Here, not only in the worker: packing a malformed batch would fail in other ways.
      checkBatch(batch);
    } catch (err) {
      return Promise.reject(err);
    }
    const { packed, transfer } = packBatch(batch);
    return this.#call('commit', [packed], transfer) as Promise<number[]>;
  }

  /** Gathered into one transaction with the snapshots taken meanwhile (see TurnBatches). */
  async saveSnapshot(doc: DocumentId, snapshot: Uint8Array, upToSeq: number): Promise<void> {
    if (this.#closed) throw new StoreClosedError('SqliteStore');
    // Checked here: one bad snapshot would otherwise fail the whole batch it joins.
    checkSeq('upToSeq', upToSeq);
    const refused = await this.#snapshots.add({ doc, snapshot, upToSeq });
    if (refused !== undefined) throw refused;
  }

  readFeed(after: number, limit: number): Promise<StoredChange[]> {
    return this.#call('readFeed', [after, limit]) as Promise<StoredChange[]>;
  }

  feedStart(): Promise<number> {
    return this.#call('feedStart', []) as Promise<number>;
  }

  documents(after: DocumentId, limit: number): Promise<DocumentId[]> {
    return this.#call('documents', [after, limit]) as Promise<DocumentId[]>;
  }

  getCursor(peer: string): Promise<number> {
    return this.#call('getCursor', [peer]) as Promise<number>;
  }

  /**
   * Records the release, then drops the changes it frees in steps of {@link COMPACT_STEP}: the
   * worker answers other calls (commits above all) between the steps.
   */
  async release(upTo: number): Promise<void> {
    await this.#call('release', [upTo]);
    let after: number | undefined = 0;
    while (after !== undefined) {
      after = (await this.#call('compactFeed', [after, COMPACT_STEP])) as number | undefined;
    }
  }

  /** Gathered into group commits with the claims made meanwhile (see TurnBatches). */
  async claimReplica(replica: string, user: string): Promise<string> {
    if (this.#closed) throw new StoreClosedError('SqliteStore');
    // Checked here: one bad claim would otherwise fail the whole batch it joins.
    checkName('replica', replica);
    checkName('user', user);
    return this.#claims.add({ replica, user });
  }

  lastSeq(doc: DocumentId): Promise<number> {
    return this.#call('lastSeq', [doc]) as Promise<number>;
  }

  /** Number of retained changes (feed changes kept for peers included), for metrics and tests. */
  countChanges(): Promise<number> {
    return this.#call('countChanges', []) as Promise<number>;
  }

  /**
   * Finishes the calls made before, stops the checkpointer, closes the file (the last
   * connection to close checkpoints what is left) and stops the worker.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    // The batched calls still waiting for the end of this turn go first.
    this.#loads.flush();
    this.#claims.flush();
    this.#snapshots.flush();
    const closing = this.#call('close', []);
    this.#closed = true;
    try {
      await this.#stopCheckpointer();
      await closing;
    } finally {
      await this.#worker.terminate();
    }
  }

  async #stopCheckpointer(): Promise<void> {
    const checkpointer = this.#checkpointer;
    if (checkpointer === undefined) return;
    this.#checkpointer = undefined;
    const exited = new Promise((resolve) => checkpointer.once('exit', resolve));
    // Unreferenced while it works, so that an idle store does not keep the process alive; the
    // process must wait for its exit now, or a caller awaiting close would never resume.
    checkpointer.ref();
    checkpointer.postMessage('close');
    await exited;
  }

  /** Posts a call to the worker; `transfer`: buffers of `args` moved to it, not copied. */
  #call<M extends EngineMethod>(
    method: M,
    args: EngineArgs<M>,
    transfer: ArrayBuffer[] = [],
  ): Promise<unknown> {
    if (this.#closed) return Promise.reject(new StoreClosedError('SqliteStore'));
    if (this.#failure) return Promise.reject(this.#failure);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      // A call in flight keeps the process alive, an idle store does not.
      if (this.#waiting.size === 1) this.#worker.ref();
      const call: EngineCall = { id, method, args };
      this.#worker.postMessage(call, transfer);
    });
  }

  #settle(message: EngineReply): void {
    const waiting = this.#waiting.get(message.id);
    if (waiting === undefined) return;
    this.#waiting.delete(message.id);
    if (this.#waiting.size === 0) this.#worker.unref();
    if (message.error === undefined) waiting.resolve(message.value);
    else waiting.reject(toError(message.error));
  }

  /** The worker died (a native crash, an out-of-memory): every call fails from now on. */
  #stop(err: Error): void {
    this.#failure ??= new Error(`the SQLite worker stopped: ${err.message}`, { cause: err });
    for (const waiting of this.#waiting.values()) waiting.reject(this.#failure);
    this.#waiting.clear();
  }
}

/** An error thrown in the worker, thrown again here: a StoreError keeps its class and code. */
function toError(error: { message: string; stack?: string; code?: string }): Error {
  const err =
    error.code !== undefined
      ? new StoreError(error.code as StoreErrorCode, error.message)
      : new Error(error.message);
  if (error.stack !== undefined) err.stack = error.stack;
  return err;
}
