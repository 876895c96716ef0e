import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DocumentId } from '@helios/core';
import Database from 'better-sqlite3';
import { StoreClosedError, StoreError } from './errors.js';
import { checkName, checkNotAhead, checkSeq, highestCursors, ownBytes } from './internal.js';
import { type PackedDocument, packDocument, type RawChangeRow } from './packed-document.js';
import type { CommitBatch, StoredChange } from './relay-store.js';
import type { ReplicaClaim, SnapshotWrite } from './worker-writes.js';

/** Options of `SqliteStore.open`. */
export interface SqliteStoreOptions {
  /** The database file; its folder is created if missing. */
  readonly path: string;
  /** The relay's region: changes of this origin form its feed. */
  readonly region: string;
  /**
   * `full` (default) syncs the WAL on every commit, so a resolved commit survives a power loss;
   * `normal` survives a process crash only, for a faster commit.
   */
  readonly synchronous?: 'full' | 'normal';
  /** How long to wait for a lock held by another connection to the same file (default 5000). */
  readonly busyTimeoutMs?: number;
}

/** `SqliteEngine.open`'s options: the store's, and whether a checkpointer thread runs beside it. */
export interface SqliteEngineOptions extends SqliteStoreOptions {
  /**
   * Another connection checkpoints the write-ahead log (`SqliteStore`'s checkpointer thread):
   * this one then checkpoints only as a backstop, when the log has grown past 64 MiB, instead
   * of in the commit that takes it past 1,000 pages (SQLite's default).
   */
  readonly checkpointer?: boolean;
}

/** Log size past which the writer checkpoints itself even with a checkpointer. */
const BACKSTOP_CHECKPOINT_BYTES = 64 * 1024 * 1024;

/**
 * The page size of a new file (an existing one keeps its own). A commit writes every page it
 * touched to the log, whole: a group commit of changes to twenty documents touches twenty leaves
 * of the per-document index and a few more pages, and writes them all, then the checkpoint
 * copies them again. Changes are small (tens of bytes), so 1 KiB pages write half the bytes of
 * SQLite's default 4 KiB under a flood of bulk writes (measured: 1.0 against 2.1 KB per change),
 * which leaves the disk more room for ordinary clients' commits.
 */
const PAGE_SIZE = 1024;

/** Bytes of the database file read through a memory mapping (the rest as before). */
const MMAP_BYTES = 256 * 1024 * 1024;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
-- AUTOINCREMENT: a seq is never reused, even after the newest changes were snapshotted away.
CREATE TABLE IF NOT EXISTS changes (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  doc TEXT NOT NULL,
  origin TEXT NOT NULL,
  delta BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS changes_doc_seq ON changes (doc, seq);
CREATE INDEX IF NOT EXISTS changes_origin_seq ON changes (origin, seq);
-- The last seq per document outlives the changes a snapshot deletes.
CREATE TABLE IF NOT EXISTS docs (doc TEXT PRIMARY KEY, last_seq INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS snapshots (doc TEXT PRIMARY KEY, seq INTEGER NOT NULL, state BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS cursors (peer TEXT PRIMARY KEY, up_to INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS released (region TEXT PRIMARY KEY, up_to INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS replicas (replica TEXT PRIMARY KEY, user_id TEXT NOT NULL) WITHOUT ROWID;
`;

interface ChangeRow {
  seq: number;
  doc: string;
  origin: string;
  delta: Uint8Array;
}

/**
 * The SQLite file behind `SqliteStore`, driven synchronously: better-sqlite3 runs each call
 * to the end on the calling thread, so the store runs this in a worker thread of its own (see
 * `sqlite-worker.ts`). One file per relay, in WAL mode so reads do not block the commit; a
 * commit is one prepared-statement loop inside one transaction (a single fsync per batch with
 * `synchronous = FULL`). Methods mirror {@link RelayStore}'s, without the promises.
 */
export class SqliteEngine {
  readonly region: string;
  readonly epoch: string;
  readonly #db: Database.Database;
  readonly #stmt: ReturnType<typeof prepare>;
  readonly #commitTx: (batch: CommitBatch) => number[];
  readonly #loadTx: (docs: readonly DocumentId[]) => (PackedDocument | undefined)[];
  readonly #snapshotsTx: (writes: readonly SnapshotWrite[]) => number;
  readonly #releaseTx: (upTo: number) => void;
  readonly #compactTx: (after: number, limit: number) => number | undefined;
  readonly #claimTx: (claims: readonly ReplicaClaim[]) => string[];
  /** Whether commits sync the log (`synchronous: 'full'`). */
  readonly #synced: boolean;
  #closed = false;

  private constructor(db: Database.Database, region: string, epoch: string, synced: boolean) {
    this.#db = db;
    this.#synced = synced;
    this.region = region;
    this.epoch = epoch;
    const stmt = prepare(db);
    this.#stmt = stmt;
    this.#commitTx = db.transaction((batch: CommitBatch) => {
      const seqs: number[] = [];
      const lastByDoc = new Map<DocumentId, number>();
      for (const { doc, origin, delta } of batch.changes) {
        const seq = Number(stmt.insertChange.run(doc, origin, delta).lastInsertRowid);
        seqs.push(seq);
        lastByDoc.set(doc, seq);
      }
      for (const [doc, seq] of lastByDoc) stmt.upsertDoc.run(doc, seq);
      for (const [peer, upTo] of highestCursors(batch)) stmt.upsertCursor.run(peer, upTo);
      return seqs;
    }).immediate;
    this.#loadTx = db.transaction((docs: readonly DocumentId[]) =>
      docs.map((doc) => {
        const snap = stmt.getSnapshot.get(doc) as { seq: number; state: Uint8Array } | undefined;
        const snapshotSeq = snap?.seq ?? 0;
        const rows = stmt.docChanges.all(doc, snapshotSeq) as RawChangeRow[];
        if (snap === undefined && rows.length === 0) return undefined;
        return packDocument(snap === undefined ? null : ownBytes(snap.state), snapshotSeq, rows);
      }),
    ).deferred;
    const snapshotsTx = db.transaction((writes: readonly SnapshotWrite[]) => {
      const head = this.#head();
      for (const { doc, snapshot, upToSeq } of writes) {
        if (upToSeq > head) continue;
        stmt.upsertSnapshot.run(doc, upToSeq, snapshot);
        stmt.deleteCovered.run(doc, upToSeq, region, region);
      }
      return head;
    }).immediate;
    this.#snapshotsTx = (writes) => this.#unsynced(() => snapshotsTx(writes));
    this.#releaseTx = db.transaction((upTo: number) => {
      checkNotAhead('upTo', upTo, this.#head());
      stmt.upsertReleased.run(region, upTo);
    }).immediate;
    this.#compactTx = db.transaction((after: number, limit: number) => {
      const released = (stmt.released.get(region) as { up_to: number }).up_to;
      const last = stmt.nthReleased.get(region, after, released, limit - 1) as
        | { seq: number }
        | undefined;
      const upTo = last?.seq ?? released;
      stmt.deleteReleased.run(region, after, upTo);
      return last === undefined ? undefined : upTo;
    }).immediate;
    // Read first: a reconnecting client's replica is bound already, and a batch of those only
    // reads (a transaction that writes nothing is not synced).
    this.#claimTx = db.transaction((claims: readonly ReplicaClaim[]) =>
      claims.map(({ replica, user }) => {
        const row = stmt.replicaOwner.get(replica) as { user_id: string } | undefined;
        if (row !== undefined) return row.user_id;
        stmt.claimReplica.run(replica, user);
        return user;
      }),
    ).immediate;
  }

  /**
   * Runs `tx` without syncing the log at its commit. For a transaction that only re-states what
   * committed changes hold (a snapshot, and the deletion of the changes it covers): after a
   * power loss it is either whole or gone, since the log is replayed in order up to the first
   * incomplete transaction, and the next synced commit syncs it too. Gone costs a longer load,
   * never a change. Snapshots are taken every few changes of a small document: a sync each
   * would cost the commits queued behind them a disk flush each.
   */
  #unsynced<T>(tx: () => T): T {
    if (!this.#synced) return tx();
    this.#db.pragma('synchronous = NORMAL');
    try {
      return tx();
    } finally {
      this.#db.pragma('synchronous = FULL');
    }
  }

  /**
   * Opens (creating if absent) the store at `path`. Refuses a file written for another region:
   * its feed would be read as this region's.
   */
  static open(options: SqliteEngineOptions): SqliteEngine {
    checkName('region', options.region);
    if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
    const db = new Database(options.path);
    try {
      db.pragma(`page_size = ${PAGE_SIZE}`);
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${options.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
      db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
      // Reads of the database file through a mapping, not a read() per page: loading the
      // documents a thousand reconnecting clients subscribe to reads pages all over the
      // changes table (each document's changes are interleaved with everyone else's), and took
      // half the CPU that way (docs/production.md). Pages still in the log are read as before.
      db.pragma(`mmap_size = ${MMAP_BYTES}`);
      if (options.checkpointer) {
        const pageSize = db.pragma('page_size', { simple: true }) as number;
        db.pragma(`wal_autocheckpoint = ${BACKSTOP_CHECKPOINT_BYTES / pageSize}`);
      }
      db.exec(SCHEMA);
      const meta = db.prepare(`SELECT value FROM meta WHERE key = ?`);
      const [stored, epoch] = db
        .transaction(() => {
          const init = db.prepare(`INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)`);
          init.run('region', options.region);
          init.run('epoch', randomBytes(8).toString('hex'));
          db.prepare(`INSERT OR IGNORE INTO released (region, up_to) VALUES (?, 0)`).run(
            options.region,
          );
          return ['region', 'epoch'].map((key) => (meta.get(key) as { value: string }).value);
        })
        .immediate() as [string, string];
      if (stored !== options.region) {
        throw new StoreError(
          'region-mismatch',
          `${options.path} holds the store of region "${stored}", not "${options.region}"`,
        );
      }
      return new SqliteEngine(db, options.region, epoch, options.synchronous !== 'normal');
    } catch (error) {
      db.close();
      throw error;
    }
  }

  /**
   * Each document's snapshot and changes (`undefined` for one never committed), packed for the
   * trip to the relay's thread, read in one transaction: the loads one turn of the relay asks
   * for (see TurnBatches).
   */
  load(docs: readonly DocumentId[]): (PackedDocument | undefined)[] {
    this.#open();
    return this.#loadTx(docs);
  }

  /** `batch` was checked by the store before it was packed (`SqliteStore.commit`). */
  commit(batch: CommitBatch): number[] {
    this.#open();
    if (batch.changes.length === 0 && (batch.cursors?.length ?? 0) === 0) return [];
    return this.#commitTx(batch);
  }

  /**
   * Saves the snapshots (each as `RelayStore.saveSnapshot` does) in one transaction, but those
   * past the last committed seq, which is returned: the store refuses those.
   */
  saveSnapshots(writes: readonly SnapshotWrite[]): number {
    this.#open();
    for (const { upToSeq } of writes) checkSeq('upToSeq', upToSeq);
    return this.#snapshotsTx(writes);
  }

  readFeed(after: number, limit: number): StoredChange[] {
    this.#open();
    checkSeq('after', after);
    checkSeq('limit', limit);
    const rows = this.#stmt.feed.all(this.region, after, limit) as ChangeRow[];
    return rows.map(toChange);
  }

  feedStart(): number {
    this.#open();
    return (this.#stmt.released.get(this.region) as { up_to: number }).up_to;
  }

  documents(after: DocumentId, limit: number): DocumentId[] {
    this.#open();
    checkSeq('limit', limit);
    const rows = this.#stmt.documents.all(after, limit) as { doc: string }[];
    return rows.map((row) => row.doc);
  }

  getCursor(peer: string): number {
    this.#open();
    const row = this.#stmt.getCursor.get(peer) as { up_to: number } | undefined;
    return row?.up_to ?? 0;
  }

  /** Records the release; the changes it frees go in {@link compactFeed}'s steps. */
  release(upTo: number): void {
    this.#open();
    checkSeq('upTo', upTo);
    this.#releaseTx(upTo);
  }

  /**
   * One step of dropping released feed changes that a snapshot covers: looks at the next
   * `limit` released changes after seq `after`. Returns where the next step starts, or
   * `undefined` once every released change was looked at. Steps keep each transaction short,
   * so commits waiting behind one do not wait long.
   */
  compactFeed(after: number, limit: number): number | undefined {
    this.#open();
    checkSeq('after', after);
    checkSeq('limit', limit);
    return this.#compactTx(after, Math.max(1, limit));
  }

  /**
   * Binds each free replica to its claimant, in order, in one transaction (one fsync for the
   * batch: see TurnBatches), and returns each claim's owner. A replica already bound, or
   * claimed earlier in the batch, keeps its owner.
   */
  claimReplicas(claims: readonly ReplicaClaim[]): string[] {
    this.#open();
    for (const { replica, user } of claims) {
      checkName('replica', replica);
      checkName('user', user);
    }
    return this.#claimTx(claims);
  }

  lastSeq(doc: DocumentId): number {
    this.#open();
    const row = this.#stmt.lastSeq.get(doc) as { last_seq: number } | undefined;
    return row?.last_seq ?? 0;
  }

  /** Number of retained changes (feed changes kept for peers included), for metrics and tests. */
  countChanges(): number {
    this.#open();
    return (this.#stmt.countChanges.get() as { n: number }).n;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }

  /** The highest seq ever assigned (AUTOINCREMENT keeps it in sqlite_sequence). */
  #head(): number {
    return (this.#stmt.head.get() as { seq: number } | undefined)?.seq ?? 0;
  }

  #open(): void {
    if (this.#closed) throw new StoreClosedError('SqliteStore');
  }
}

function prepare(db: Database.Database) {
  return {
    insertChange: db.prepare('INSERT INTO changes (doc, origin, delta) VALUES (?, ?, ?)'),
    upsertDoc: db.prepare(
      `INSERT INTO docs (doc, last_seq) VALUES (?, ?)
       ON CONFLICT (doc) DO UPDATE SET last_seq = max(last_seq, excluded.last_seq)`,
    ),
    upsertCursor: db.prepare(
      `INSERT INTO cursors (peer, up_to) VALUES (?, ?)
       ON CONFLICT (peer) DO UPDATE SET up_to = max(up_to, excluded.up_to)`,
    ),
    getSnapshot: db.prepare('SELECT seq, state FROM snapshots WHERE doc = ?'),
    // Raw rows: one array per change instead of an object (see PackedDocument).
    docChanges: db
      .prepare('SELECT seq, origin, delta FROM changes WHERE doc = ? AND seq > ? ORDER BY seq')
      .raw(true),
    // A snapshot older than the stored one must not replace it: the changes between are gone.
    upsertSnapshot: db.prepare(
      `INSERT INTO snapshots (doc, seq, state) VALUES (?, ?, ?)
       ON CONFLICT (doc) DO UPDATE SET seq = excluded.seq, state = excluded.state
       WHERE excluded.seq >= snapshots.seq`,
    ),
    deleteCovered: db.prepare(
      `DELETE FROM changes WHERE doc = ? AND seq <= ?
       AND (origin <> ? OR seq <= (SELECT up_to FROM released WHERE region = ?))`,
    ),
    upsertReleased: db.prepare(
      `INSERT INTO released (region, up_to) VALUES (?, ?)
       ON CONFLICT (region) DO UPDATE SET up_to = max(up_to, excluded.up_to)`,
    ),
    nthReleased: db.prepare(
      `SELECT seq FROM changes WHERE origin = ? AND seq > ? AND seq <= ?
       ORDER BY seq LIMIT 1 OFFSET ?`,
    ),
    deleteReleased: db.prepare(
      `DELETE FROM changes WHERE origin = ? AND seq > ? AND seq <= ?
       AND seq <= (SELECT s.seq FROM snapshots s WHERE s.doc = changes.doc)`,
    ),
    feed: db.prepare(
      'SELECT seq, doc, origin, delta FROM changes WHERE origin = ? AND seq > ? ORDER BY seq LIMIT ?',
    ),
    getCursor: db.prepare('SELECT up_to FROM cursors WHERE peer = ?'),
    released: db.prepare('SELECT up_to FROM released WHERE region = ?'),
    documents: db.prepare('SELECT doc FROM docs WHERE doc > ? ORDER BY doc LIMIT ?'),
    claimReplica: db.prepare('INSERT INTO replicas (replica, user_id) VALUES (?, ?)'),
    replicaOwner: db.prepare('SELECT user_id FROM replicas WHERE replica = ?'),
    lastSeq: db.prepare('SELECT last_seq FROM docs WHERE doc = ?'),
    countChanges: db.prepare('SELECT count(*) AS n FROM changes'),
    head: db.prepare(`SELECT seq FROM sqlite_sequence WHERE name = 'changes'`),
  };
}

function toChange(row: ChangeRow): StoredChange {
  return { seq: row.seq, doc: row.doc, origin: row.origin, delta: ownBytes(row.delta) };
}
