import 'fake-indexeddb/auto';
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
  it('commits deltas with outbox entries for own writes; a later commit deletes settled entries', async () => {
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

    // The acknowledgement of `a` rides along with the next write.
    const [d] = await db.commit({
      writes: [{ doc: 'likes', delta: bytes(4), outbox: true }],
      settled: [a!],
    });
    expect((await db.outbox()).map((e) => e.id)).toEqual([c, d]);
    // Settled entries alone; an id already gone is harmless.
    expect(await db.commit({ writes: [], settled: [c!, a!] })).toEqual([]);
    expect((await db.outbox()).map((e) => e.id)).toEqual([d]);
    // The log keeps every delta, own and received, in commit order.
    expect((await db.load('likes')).deltas).toEqual([bytes(1), bytes(2), bytes(4)]);
    expect((await db.load('tags')).deltas).toEqual([bytes(3)]);
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
