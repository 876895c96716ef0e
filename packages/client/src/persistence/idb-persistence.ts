import { type DBSchema, type IDBPDatabase, openDB } from 'idb';
import type { StorageProblem } from '../status.js';
import {
  type ClientPersistence,
  type CommitBatch,
  type OutboxEntry,
  PersistenceError,
  type StoredDocument,
} from './persistence.js';

interface HeliosDB extends DBSchema {
  /** Newest snapshot per document. */
  docs: { key: string; value: { snapshot: Uint8Array } };
  /**
   * Deltas since the snapshot: those received, and own writes once a relay acknowledged (or
   * refused) them, in commit order.
   */
  log: { key: number; value: { doc: string; delta: Uint8Array }; indexes: { doc: string } };
  /**
   * Own writes not yet acknowledged by a relay: a write is stored here alone (one record per
   * write, the floor of an IndexedDB commit), and moves to the log when it is settled.
   */
  outbox: { key: number; value: { doc: string; delta: Uint8Array }; indexes: { doc: string } };
  /** Replica id per slot of this browser profile. */
  slots: { key: number; value: string };
  meta: { key: string; value: unknown };
}

/**
 * 1: own writes in the log and the outbox. 2: own writes in the outbox alone until settled, found
 * per document through its `doc` index; version 1's outbox entries, also in its log, are read
 * twice, which merging makes harmless.
 */
const VERSION = 2;

/**
 * What IndexedDB promises when a commit's transaction completes (docs/concepts.md, "Write
 * receipts"): `relaxed`, the data is with the operating system: it survives the tab or the
 * browser crashing, not the operating system crashing or the power going; `strict`, it was
 * flushed to disk first, surviving those too, at a cost of about a millisecond per commit (more
 * at p99) on an SSD.
 */
export type LocalDurability = 'relaxed' | 'strict';

/**
 * The meta key of the ids slots had before they were renewed, newest first, at most
 * {@link MAX_FORMER} (a handshake announces 16 ids in all).
 */
const FORMER_SLOT_IDS = 'formerSlotIds';
const MAX_FORMER = 8;

function formerIds(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((id): id is string => typeof id === 'string') : [];
}

/** Maps a DOMException from IndexedDB to what the status reports. */
export function problemOf(err: unknown): StorageProblem {
  const name = (err as { name?: string } | null)?.name;
  if (name === 'QuotaExceededError') return 'quota-exceeded';
  if (name === 'InvalidStateError' || name === 'TransactionInactiveError') return 'connection-lost';
  if (name === 'VersionError') return 'version-change';
  return 'unavailable';
}

function wrap(err: unknown, doing: string): PersistenceError {
  const problem = problemOf(err);
  return new PersistenceError(
    problem,
    `IndexedDB failed while ${doing}: ${(err as Error)?.message ?? err}`,
    {
      cause: err,
    },
  );
}

/**
 * Persistence in IndexedDB through idb. Every commit is one readwrite transaction over the log
 * and the outbox: an own write is one record in the outbox, a received delta one in the log, and
 * settled outbox entries move to the log in the same way, whole or not at all. Tabs of
 * one profile open the same database; compaction folds, inside its own transaction, exactly the
 * deltas it reads, so another tab's concurrent commits are never lost.
 */
export class IdbPersistence implements ClientPersistence {
  readonly kind = 'indexeddb' as const;
  readonly #db: IDBPDatabase<HeliosDB>;
  readonly #durability: LocalDurability;

  private constructor(db: IDBPDatabase<HeliosDB>, durability: LocalDurability) {
    this.#db = db;
    this.#durability = durability;
  }

  /**
   * Opens (creating or upgrading) the database.
   * @param onProblem called when the database goes away later: another tab upgrades it
   *   (`version-change`) or the browser closes it (`connection-lost`).
   * @param indexedDB the IndexedDB implementation (default: the environment's).
   * @param durability what a commit's completion promises (see {@link LocalDurability}).
   * @throws {PersistenceError} when IndexedDB is missing, blocked or refuses to open.
   */
  static async open(
    name: string,
    onProblem: (problem: StorageProblem) => void,
    indexedDB: IDBFactory | undefined = globalThis.indexedDB,
    durability: LocalDurability = 'relaxed',
  ): Promise<IdbPersistence> {
    if (indexedDB === undefined) {
      throw new PersistenceError('unavailable', 'IndexedDB is not available in this environment');
    }
    let blocked = false;
    try {
      const db = await openDB<HeliosDB>(name, VERSION, {
        upgrade(database, oldVersion, _newVersion, tx) {
          if (oldVersion < 1) {
            database.createObjectStore('docs');
            database.createObjectStore('log', { autoIncrement: true }).createIndex('doc', 'doc');
            database.createObjectStore('outbox', { autoIncrement: true });
            database.createObjectStore('slots');
            database.createObjectStore('meta');
          }
          if (oldVersion < 2) tx.objectStore('outbox').createIndex('doc', 'doc');
        },
        blocked() {
          blocked = true;
        },
        blocking() {
          // A newer version wants the database: let it have it, and say so.
          db.close();
          onProblem('version-change');
        },
        terminated() {
          onProblem('connection-lost');
        },
      });
      return new IdbPersistence(db, durability);
    } catch (err) {
      if (blocked)
        throw new PersistenceError('blocked', 'another tab keeps an older database open', {
          cause: err,
        });
      throw wrap(err, 'opening the database');
    }
  }

  async load(doc: string): Promise<StoredDocument> {
    try {
      const tx = this.#db.transaction(['docs', 'log', 'outbox'], 'readonly');
      const [stored, rows, own] = await Promise.all([
        tx.objectStore('docs').get(doc),
        tx.objectStore('log').index('doc').getAll(doc),
        tx.objectStore('outbox').index('doc').getAll(doc),
      ]);
      return { snapshot: stored?.snapshot ?? null, deltas: [...rows, ...own].map((r) => r.delta) };
    } catch (err) {
      throw wrap(err, `loading ${doc}`);
    }
  }

  async commit({ writes, settled }: CommitBatch): Promise<(number | undefined)[]> {
    try {
      const tx = this.#db.transaction(['log', 'outbox'], 'readwrite', {
        durability: this.#durability,
      });
      const log = tx.objectStore('log');
      const outbox = tx.objectStore('outbox');
      for (const entry of settled) {
        void log.add({ doc: entry.doc, delta: entry.delta });
        void outbox.delete(entry.id);
      }
      const ids = writes.map((w) =>
        w.outbox
          ? outbox.add({ doc: w.doc, delta: w.delta })
          : void log.add({ doc: w.doc, delta: w.delta }),
      );
      // Every request is placed: commit now rather than once their results have come back to
      // this thread, which saves a round trip to the browser's storage process per commit.
      tx.commit();
      const [result] = await Promise.all([Promise.all(ids), tx.done]);
      return result;
    } catch (err) {
      throw wrap(err, 'committing writes');
    }
  }

  async compact(doc: string, fold: (stored: StoredDocument) => Uint8Array): Promise<void> {
    try {
      const tx = this.#db.transaction(['docs', 'log'], 'readwrite');
      const docs = tx.objectStore('docs');
      const index = tx.objectStore('log').index('doc');
      const [stored, keys, rows] = await Promise.all([
        docs.get(doc),
        index.getAllKeys(doc),
        index.getAll(doc),
      ]);
      // Folding is synchronous, so the transaction stays active; whatever it read, it deletes.
      const snapshot = fold({
        snapshot: stored?.snapshot ?? null,
        deltas: rows.map((r) => r.delta),
      });
      void docs.put({ snapshot }, doc);
      const log = tx.objectStore('log');
      for (const key of keys) void log.delete(key);
      await tx.done;
    } catch (err) {
      throw wrap(err, `compacting ${doc}`);
    }
  }

  async outbox(): Promise<OutboxEntry[]> {
    try {
      const tx = this.#db.transaction('outbox', 'readonly');
      const [keys, values] = await Promise.all([tx.store.getAllKeys(), tx.store.getAll()]);
      return keys.map((id, i) => ({ id, doc: values[i]!.doc, delta: values[i]!.delta }));
    } catch (err) {
      throw wrap(err, 'reading the outbox');
    }
  }

  async slot(index: number, create: () => string): Promise<string> {
    try {
      const tx = this.#db.transaction('slots', 'readwrite');
      let id = await tx.store.get(index);
      if (id === undefined) {
        id = create();
        await tx.store.put(id, index);
      }
      await tx.done;
      return id;
    } catch (err) {
      throw wrap(err, 'claiming a replica slot');
    }
  }

  async slotIds(): Promise<string[]> {
    try {
      const former = await this.#db.get('meta', FORMER_SLOT_IDS);
      return [...(await this.#db.getAll('slots')), ...formerIds(former)];
    } catch (err) {
      throw wrap(err, 'reading the replica slots');
    }
  }

  async renewSlot(index: number, id: string): Promise<void> {
    try {
      // One transaction: the old id is never dropped without the new one taking its place.
      const tx = this.#db.transaction(['slots', 'meta'], 'readwrite');
      const old = await tx.objectStore('slots').get(index);
      const former = formerIds(await tx.objectStore('meta').get(FORMER_SLOT_IDS));
      await tx.objectStore('slots').put(id, index);
      if (old !== undefined) {
        await tx.objectStore('meta').put([old, ...former].slice(0, MAX_FORMER), FORMER_SLOT_IDS);
      }
      await tx.done;
    } catch (err) {
      throw wrap(err, 'renewing a replica slot');
    }
  }

  async getMeta(key: string): Promise<unknown> {
    try {
      return await this.#db.get('meta', key);
    } catch (err) {
      throw wrap(err, 'reading metadata');
    }
  }

  async setMeta(key: string, value: unknown): Promise<void> {
    try {
      await this.#db.put('meta', value, key);
    } catch (err) {
      throw wrap(err, 'writing metadata');
    }
  }

  close(): void {
    this.#db.close();
  }
}
