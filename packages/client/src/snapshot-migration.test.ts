import 'fake-indexeddb/auto';
import {
  type ClockedActor,
  LWWMap,
  SNAPSHOT_FORMAT_VERSION,
  STATE_FORMAT_VERSION,
} from '@helios/core';
import { afterEach, describe, expect, it } from 'vitest';
import { IdbPersistence } from './persistence/idb-persistence.js';
import { freshDb, Resources } from './test-support/harness.js';

const res = new Resources();
afterEach(() => res.closeAll());

/**
 * Upgrading from a release that stored full states in the delta format (version 1): what the
 * old client left in IndexedDB loads, and the next compaction writes a snapshot (version 2)
 * that loads too.
 */
describe('IndexedDB snapshots across the format change', () => {
  it('loads a version-1 snapshot and its deltas, then compacts into a version-2 snapshot', async () => {
    const dbName = freshDb('migration');
    const writer = 'abcdefabcdef01';
    let wall = 1_700_000_000_000;
    const actor: ClockedActor = {
      replica: writer,
      now: () => ({ wall: ++wall, counter: 0, replica: writer }),
    };
    const old = LWWMap.empty();
    for (let i = 0; i < 50; i++) LWWMap.merge(old, LWWMap.set(old, actor, `k${i}`, `old-${i}`));
    const after = LWWMap.set(old, actor, 'k7', 'after the snapshot');

    // What the previous release left behind: a version-1 snapshot, and a delta after it.
    const db = await IdbPersistence.open(dbName, () => {});
    await db.compact('prefs', () => LWWMap.encode(old));
    await db.commit({
      writes: [{ doc: 'prefs', delta: LWWMap.encode(after), outbox: false }],
      settled: [],
    });
    const stored = await db.load('prefs');
    expect(stored.snapshot![0]! >> 6).toBe(STATE_FORMAT_VERSION);
    db.close();

    const client = res.client(['memory://nowhere'], {
      dbName,
      persistence: 'indexeddb',
      offline: true,
      compactEvery: 3,
    });
    const prefs = client.lwwMap<string>('prefs');
    await prefs.loaded;
    expect(prefs.get('k3')).toBe('old-3');
    expect(prefs.get('k7')).toBe('after the snapshot');
    expect(prefs.value.size).toBe(50);

    // Writes past compactEvery that weigh as much as the snapshot: it is rewritten in the new
    // format.
    for (let i = 0; i < 50; i++) await prefs.set(`n${i}`, `new-${i}`).wait('local');
    const check = await IdbPersistence.open(dbName, () => {});
    let snapshot: Uint8Array | null = null;
    for (let tries = 0; tries < 100; tries++) {
      snapshot = (await check.load('prefs')).snapshot;
      if (snapshot !== null && snapshot[0]! >> 6 === SNAPSHOT_FORMAT_VERSION) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    check.close();
    expect(snapshot![0]! >> 6).toBe(SNAPSHOT_FORMAT_VERSION);
    await client.close();

    const reopened = res.client(['memory://nowhere'], {
      dbName,
      persistence: 'indexeddb',
      offline: true,
    });
    const again = reopened.lwwMap<string>('prefs');
    await again.loaded;
    expect(again.get('k7')).toBe('after the snapshot');
    expect(again.get('n49')).toBe('new-49');
    expect(again.value.size).toBe(100);
  });
});
