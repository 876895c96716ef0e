import { HybridLogicalClock, LWWMap } from '@helios/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createClient, type HeliosClient } from './index.js';
import { MemoryPersistence } from './persistence/memory-persistence.js';
import { freshDb } from './test-support/harness.js';

/**
 * The way from `createClient` to a document's first value: what waits for what, and what a
 * read of one key computes.
 */
const clients: HeliosClient[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const c of clients.splice(0)) await c.close();
});

/** Memory persistence whose replica slots are handed out only once `release` is called. */
function slowSlots() {
  const persistence = new MemoryPersistence(freshDb('load'));
  let release!: () => void;
  const gate = new Promise<void>((r) => {
    release = r;
  });
  const slot = persistence.slot.bind(persistence);
  persistence.slot = async (index, create) => {
    await gate;
    return slot(index, create);
  };
  return { persistence, release };
}

/** The snapshot of an LWW-Map whose keys `k0`… hold their index. */
function snapshotOfKeys(n: number): Uint8Array {
  const s = LWWMap.empty();
  const actor = { replica: 'aaaaaaaaaaaaaa', now: () => ({ wall: 1, counter: 0, replica: 'a' }) };
  for (let i = 0; i < n; i++) LWWMap.merge(s, LWWMap.set(s, actor, `k${i}`, i));
  return LWWMap.encodeSnapshot(s);
}

/** An offline client on `persistence`, with document `big` loaded. */
async function openBig(persistence: MemoryPersistence) {
  const client = createClient({ relays: ['memory://none'], offline: true, persistence });
  clients.push(client);
  const map = client.lwwMap<number>('big');
  await map.loaded;
  return { client, map };
}

/** Stores `snapshot` as document `big`'s, as a compaction does. */
async function storeSnapshot(persistence: MemoryPersistence, snapshot: Uint8Array): Promise<void> {
  await persistence.commit({
    writes: [{ doc: 'big', delta: LWWMap.encode(LWWMap.empty()), outbox: false }],
    settled: [],
  });
  await persistence.compact('big', () => snapshot);
}

describe('loading a document', () => {
  it('reads the document while the replica slot is claimed; it is loaded, and writable, once both are done', async () => {
    const { persistence, release } = slowSlots();
    const load = vi.spyOn(persistence, 'load');
    const client = createClient({ relays: ['memory://none'], offline: true, persistence });
    clients.push(client);
    const map = client.lwwMap<number>('prefs');
    await vi.waitFor(() => expect(load).toHaveBeenCalledWith('prefs'));
    expect(client.replica).toBeUndefined(); // the slot is not held yet
    let loaded = false;
    void map.loaded.then(() => {
      loaded = true;
    });
    await new Promise((r) => setTimeout(r, 10));
    expect(loaded).toBe(false);
    release();
    await map.loaded;
    expect(client.replica).toBeDefined();
    map.set('theme', 1); // applies at once
    expect(map.get('theme')).toBe(1);
  });

  it("asks for the slot ids, the clock offset and the outbox while the slot's id is read, not after", async () => {
    const { persistence, release } = slowSlots();
    const slotIds = vi.spyOn(persistence, 'slotIds');
    const getMeta = vi.spyOn(persistence, 'getMeta');
    const outbox = vi.spyOn(persistence, 'outbox');
    const client = createClient({ relays: ['memory://none'], offline: true, persistence });
    clients.push(client);
    // Each waiting for the one before would add a round trip to storage after a large
    // document's decode, which holds the thread meanwhile.
    await vi.waitFor(() => expect(outbox).toHaveBeenCalled());
    expect(slotIds).toHaveBeenCalled();
    expect(getMeta).toHaveBeenCalledWith('clockOffsetMs');
    expect(client.replica).toBeUndefined(); // the slot's id is still being read
    release();
    await client.ready;
    expect(client.replica).toBeDefined();
  });

  it('loads a stored LWW-Map offline without listing its dots for a subscription', async () => {
    const persistence = new MemoryPersistence(freshDb('load'));
    const s = LWWMap.empty();
    const hlc = new HybridLogicalClock({ replica: 'aaaaaaaaaaaaaa', now: () => 1_700_000_000_000 });
    const actor = { replica: 'aaaaaaaaaaaaaa', now: () => hlc.now() };
    for (let i = 0; i < 50; i++) LWWMap.merge(s, LWWMap.set(s, actor, `k${i}`, i));
    const store = (delta: Uint8Array) =>
      persistence.commit({ writes: [{ doc: 'big', delta, outbox: false }], settled: [] });
    await store(LWWMap.encode(s));
    await persistence.compact('big', () => LWWMap.encodeSnapshot(s));
    await store(LWWMap.encode(LWWMap.set(s, actor, 'last', -1))); // a delta after the snapshot
    const digest = vi.spyOn(LWWMap, 'digest');
    const { map } = await openBig(persistence);
    expect(map.get('k42')).toBe(42);
    expect(map.get('last')).toBe(-1);
    // A digest lists every live dot (decoding the whole snapshot); nothing would send it.
    expect(digest).not.toHaveBeenCalled();
  });

  it('opens its own stored snapshot as stored bytes: checksum and index now, a block when read', async () => {
    const persistence = new MemoryPersistence(freshDb('load'));
    const snapshot = snapshotOfKeys(5000);
    await storeSnapshot(persistence, snapshot);
    const stored = vi.spyOn(LWWMap, 'decodeStored');
    const checked = vi.spyOn(LWWMap, 'decode');
    const { map } = await openBig(persistence);
    expect(map.get('k4321')).toBe(4321);
    expect(stored).toHaveBeenCalledWith(snapshot);
    expect(checked).not.toHaveBeenCalled();
  });

  it('a damaged stored snapshot fails its load (load-failed) and the document starts empty', async () => {
    const persistence = new MemoryPersistence(freshDb('load'));
    const damaged = snapshotOfKeys(100);
    damaged[damaged.length >> 1]! ^= 0x10;
    await storeSnapshot(persistence, damaged);
    const { client, map } = await openBig(persistence);
    expect(client.status.lastError).toMatchObject({ code: 'load-failed', doc: 'big' });
    expect(client.status.lastError?.message).toMatch(/not as it was written/);
    expect(map.get('k1')).toBeUndefined();
  });

  it('after a failed load the slot writes under a new id', async () => {
    const persistence = new MemoryPersistence(freshDb('load'));
    const first = createClient({ relays: ['memory://none'], offline: true, persistence });
    await first.ready;
    const before = first.replica!;
    await first.close();
    // A snapshot holding dots 1–5 of the slot's id, damaged at rest.
    const s = LWWMap.empty();
    const actor = { replica: before, now: () => ({ wall: 1, counter: 0, replica: before }) };
    for (let i = 0; i < 5; i++) LWWMap.merge(s, LWWMap.set(s, actor, `k${i}`, i));
    const damaged = LWWMap.encodeSnapshot(s);
    damaged[damaged.length - 1]! ^= 0x01;
    await storeSnapshot(persistence, damaged);

    const { client, map } = await openBig(persistence);
    expect(client.status.lastError).toMatchObject({ code: 'load-failed', doc: 'big' });
    // Writing as `before` would mint its dot 1 again, with other content than the lost one's.
    expect(client.replica).not.toBe(before);
    expect(await persistence.slot(0, () => 'unused')).toBe(client.replica);
    await map.set('fresh', 1).wait('local');
    const [written] = await persistence.outbox();
    expect([...LWWMap.decode(written!.delta).context.replicas()]).toEqual([client.replica]);
  });

  it("reads one key of an LWW-Map without building the map's whole value", async () => {
    const client = createClient({
      relays: ['memory://none'],
      offline: true,
      persistence: 'memory',
    });
    clients.push(client);
    const map = client.lwwMap<number>('big');
    await map.loaded;
    map.set('a', 1);
    map.set('b', 2);
    const value = vi.spyOn(LWWMap, 'value');
    expect(map.get('b')).toBe(2);
    expect(map.get('missing')).toBeUndefined();
    expect(value).not.toHaveBeenCalled();
    expect(map.value.get('a')).toBe(1);
  });
});
