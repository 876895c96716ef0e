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
