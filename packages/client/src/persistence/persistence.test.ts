import 'fake-indexeddb/auto';
import { openDB } from 'idb';
import { describe, expect, it } from 'vitest';
import { freshDb } from '../test-support/harness.js';
import { IdbPersistence } from './idb-persistence.js';
import { MemoryPersistence } from './memory-persistence.js';
import type { ClientPersistence } from './persistence.js';

/** The same cases against both implementations of {@link ClientPersistence}. */
const implementations: [string, (name: string) => Promise<ClientPersistence>][] = [
  ['IndexedDB', (name) => IdbPersistence.open(name, () => {})],
  ['memory', async (name) => new MemoryPersistence(name)],
];

const bytes = (...values: number[]) => new Uint8Array(values);

describe.each(implementations)('%s persistence', (_name, open) => {
  it('commits deltas with outbox entries for own writes; a later commit takes settled entries out of the outbox, keeping their deltas', async () => {
    const db = await open(freshDb('persistence'));
    const [a, received, c] = await db.commit({
      writes: [
        { doc: 'likes', delta: bytes(1), outbox: true },
        { doc: 'likes', delta: bytes(2), outbox: false },
        { doc: 'tags', delta: bytes(3), outbox: true },
      ],
      settled: [],
    });
    expect(received).toBeUndefined();
    expect(await db.outbox()).toEqual([
      { id: a, doc: 'likes', delta: bytes(1) },
      { id: c, doc: 'tags', delta: bytes(3) },
    ]);
    const entryA = { id: a!, doc: 'likes', delta: bytes(1) };
    const entryC = { id: c!, doc: 'tags', delta: bytes(3) };

    // The acknowledgement of `a` rides along with a write.
    const [d] = await db.commit({
      writes: [{ doc: 'likes', delta: bytes(4), outbox: true }],
      settled: [entryA],
    });
    expect((await db.outbox()).map((e) => e.id)).toEqual([c, d]);
    // Settled entries alone; an entry already gone is harmless.
    expect(await db.commit({ writes: [], settled: [entryC, entryA] })).toEqual([]);
    expect((await db.outbox()).map((e) => e.id)).toEqual([d]);
    // Every delta, own and received, settled or pending, is the document's (merging makes a
    // delta read twice harmless, and their order does not matter).
    const sorted = (xs: readonly Uint8Array[]) => [...new Set(xs.map((x) => x[0]))].sort();
    expect(sorted((await db.load('likes')).deltas)).toEqual([1, 2, 4]);
    expect(sorted((await db.load('tags')).deltas)).toEqual([3]);
    db.close();
  });

  it('renews a slot: the new id is the slot’s from now on, the old one stays among the slot ids', async () => {
    const name = freshDb();
    const db = await open(name);
    expect(await db.slot(0, () => 'first')).toBe('first');
    expect(await db.slot(1, () => 'other')).toBe('other');
    await db.renewSlot!(0, 'second');
    await db.renewSlot!(0, 'third');
    expect(await db.slot(0, () => 'never')).toBe('third');
    expect(new Set(await db.slotIds())).toEqual(new Set(['third', 'other', 'second', 'first']));
    db.close();
  });
});

describe('IndexedDB commit durability', () => {
  /** The options of every readwrite transaction `run` opens over the log. */
  async function durabilities(run: () => Promise<void>): Promise<unknown[]> {
    const seen: unknown[] = [];
    const original = IDBDatabase.prototype.transaction;
    IDBDatabase.prototype.transaction = function (
      this: IDBDatabase,
      stores: string | string[],
      mode?: IDBTransactionMode,
      options?: IDBTransactionOptions,
    ) {
      if (mode === 'readwrite' && [stores].flat().includes('log')) seen.push(options?.durability);
      return original.call(this, stores, mode, options);
    };
    try {
      await run();
    } finally {
      IDBDatabase.prototype.transaction = original;
    }
    return seen;
  }

  const commitOne = async (db: ClientPersistence) => {
    await db.commit({ writes: [{ doc: 'd', delta: bytes(1), outbox: true }], settled: [] });
    db.close();
  };

  it('is relaxed by default and strict when asked', async () => {
    expect(
      await durabilities(async () => commitOne(await IdbPersistence.open(freshDb('d'), () => {}))),
    ).toEqual(['relaxed']);
    expect(
      await durabilities(async () =>
        commitOne(await IdbPersistence.open(freshDb('d'), () => {}, indexedDB, 'strict')),
      ),
    ).toEqual(['strict']);
  });
});

describe('IndexedDB schema upgrade', () => {
  it('opens a version 1 database: its outbox entries are pushed and loaded, nothing is lost', async () => {
    const name = freshDb('v1');
    // Version 1 kept own writes in the log and the outbox both.
    const v1 = await openDB(name, 1, {
      upgrade(db) {
        db.createObjectStore('docs');
        db.createObjectStore('log', { autoIncrement: true }).createIndex('doc', 'doc');
        db.createObjectStore('outbox', { autoIncrement: true });
        db.createObjectStore('slots');
        db.createObjectStore('meta');
      },
    });
    await v1.add('log', { doc: 'likes', delta: bytes(1) }); // acknowledged
    await v1.add('log', { doc: 'likes', delta: bytes(2) }); // pending
    const pending = await v1.add('outbox', { doc: 'likes', delta: bytes(2) });
    v1.close();

    const db = await IdbPersistence.open(name, () => {});
    expect(await db.outbox()).toEqual([{ id: pending, doc: 'likes', delta: bytes(2) }]);
    expect((await db.load('likes')).deltas).toEqual([bytes(1), bytes(2), bytes(2)]);
    const [next] = await db.commit({
      writes: [{ doc: 'likes', delta: bytes(3), outbox: true }],
      settled: [{ id: pending as number, doc: 'likes', delta: bytes(2) }],
    });
    expect(next).not.toBe(pending);
    expect((await db.outbox()).map((e) => e.id)).toEqual([next]);
    db.close();
  });
});
