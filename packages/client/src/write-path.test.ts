import 'fake-indexeddb/auto';
import { LWWMap, MVRegister, newReplicaId } from '@helios/core';
import { decodeMessage, encodeMessage, PROTOCOL_VERSION } from '@helios/core/protocol';
import { socketParser } from '@helios/transport';
import { openDB } from 'idb';
import { io } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import { freshDb, Resources, sleep, until } from './test-support/harness.js';
import { MemoryWorld } from './test-support/memory-world.js';
import { WireTap } from './test-support/wire-tap.js';

/**
 * What the write path costs in IndexedDB, counted at IndexedDB itself: the readwrite
 * transactions a client opens, and the records it leaves in the `log` store. Where the relay
 * only has to acknowledge and answer, it is a MemoryRelay on a manual clock.
 */
const res = new Resources();
let world = new MemoryWorld();
const restore: (() => void)[] = [];
afterEach(async () => {
  for (const r of restore.splice(0).reverse()) r();
  await world.close();
  world = new MemoryWorld();
  await res.closeAll();
});

/** Counts readwrite transactions that touch the `outbox` store, from now on. */
function countOutboxTransactions(): () => number {
  const proto = IDBDatabase.prototype;
  const original = proto.transaction;
  let count = 0;
  proto.transaction = function (this: IDBDatabase, ...args: Parameters<typeof original>) {
    const [stores, mode] = args;
    if (mode === 'readwrite' && [stores].flat().includes('outbox')) count++;
    return original.apply(this, args);
  } as typeof original;
  restore.push(() => {
    proto.transaction = original;
  });
  return () => count;
}

/** Records in one store of a client database (read in a connection of its own). */
async function countRecords(dbName: string, store: 'log' | 'outbox'): Promise<number> {
  const db = await openDB(dbName);
  try {
    return await db.count(store);
  } finally {
    db.close();
  }
}

/** A raw replica on a relay that pushes hand-made deltas in the order a test wants. */
async function rawWriter(url: string, replica: string) {
  const socket = io(url, {
    auth: { protocol: PROTOCOL_VERSION, replicas: [replica] },
    transports: ['websocket'],
    parser: socketParser,
    forceNew: true,
    reconnection: false,
  });
  const acked = new Set<number>();
  socket.on('h', (payload: ArrayBuffer) => {
    const message = decodeMessage(new Uint8Array(payload));
    if (message.kind === 'ack') for (const id of message.ids) acked.add(id);
  });
  await new Promise((resolve) => socket.once('connect', () => resolve(undefined)));
  let last = 0;
  return {
    async push(doc: string, delta: Uint8Array): Promise<void> {
      const id = ++last;
      socket.emit('h', encodeMessage({ kind: 'push', entries: [{ id, doc, delta }] }));
      await until(() => acked.has(id), `ack of push ${id}`);
    },
    close: () => socket.close(),
  };
}

describe('the write path in IndexedDB', () => {
  it('acknowledged writes leave the outbox together, a second after the first, not one transaction each', async () => {
    const relay = world.relay('us-east-1');
    const { clock } = world;
    const dbName = freshDb();
    const client = world.client([relay.url], { dbName });
    const likes = client.counter('likes');
    await clock.until(() => relay.sentOf('sync', 'likes').length === 1, 'the sync reply');
    await client.flush(); // it is stored

    const transactions = countOutboxTransactions();
    for (let i = 0; i < 20; i++) await world.reach(likes.increment(), 'relay');
    // One commit per write, of one record: the acks wait. (Before: 40 transactions.)
    expect(transactions()).toBeLessThanOrEqual(20);
    expect(await countRecords(dbName, 'outbox')).toBe(20);
    // A second after the first ack, one commit takes them all out.
    await clock.advance(999);
    expect(transactions()).toBeLessThanOrEqual(20);
    await clock.advance(1);
    await until(() => transactions() === 21, 'the trailing removal');
    expect(await countRecords(dbName, 'outbox')).toBe(0);
    expect(client.status.pendingTotal).toBe(0);
  });

  it('compacts a large document only once its stored deltas weigh as much as its snapshot', async () => {
    const relay = world.relay('us-east-1');
    const { clock } = world;
    const dbName = freshDb();
    const client = world.client([relay.url], { dbName, compactEvery: 3 });
    const prefs = client.lwwMap<string>('prefs');
    await clock.until(() => relay.sentOf('sync', 'prefs').length === 1, 'the sync reply');
    const snapshotBytes = async () => {
      const db = await openDB(dbName);
      try {
        return ((await db.get('docs', 'prefs'))?.snapshot as Uint8Array | undefined)?.length ?? 0;
      } finally {
        db.close();
      }
    };
    const write = async (key: string) => {
      await world.reach(prefs.set(key, `value of ${key}`), 'relay');
      await clock.advance(1_000); // settled: moved from the outbox to the log
      await client.flush();
    };
    // 200 keys in one write, then the first compaction: no snapshot yet, the count decides.
    const big = prefs.mutate((_state, actor) => {
      const all = LWWMap.empty();
      for (let k = 0; k < 200; k++) LWWMap.merge(all, LWWMap.set(all, actor, `k${k}`, `v${k}`));
      return all;
    });
    await world.reach(big, 'relay');
    await clock.advance(1_000);
    for (const k of ['a', 'b', 'c']) await write(k);
    let first = 0;
    for (let tries = 0; tries < 100 && first < 1_000; tries++) {
      await sleep(10);
      first = await snapshotBytes();
    }
    expect(first, 'the first snapshot').toBeGreaterThan(1_000);
    const logged = await countRecords(dbName, 'log');
    // Writes past compactEvery that weigh far less than the snapshot stay in the log.
    for (const k of ['d', 'e', 'f', 'g', 'h', 'i']) await write(k);
    expect(await countRecords(dbName, 'log')).toBe(logged + 6);
    expect(await snapshotBytes()).toBe(first);
    // Once they weigh as much as it, a later write folds them.
    for (let i = 0; (await snapshotBytes()) === first; i++) {
      expect(i, 'compacted within twice the snapshot').toBeLessThan((2 * first) / 20);
      await write(`n${i}`);
    }
    expect(await countRecords(dbName, 'log')).toBeLessThan(logged + 6);
  });

  it("commits with the durability the app chose: relaxed by default, 'strict' when asked", async () => {
    const seen: unknown[] = [];
    const proto = IDBDatabase.prototype;
    const original = proto.transaction;
    proto.transaction = function (this: IDBDatabase, ...args: Parameters<typeof original>) {
      const [stores, mode, options] = args;
      if (mode === 'readwrite' && [stores].flat().includes('log')) seen.push(options?.durability);
      return original.apply(this, args);
    } as typeof original;
    restore.push(() => {
      proto.transaction = original;
    });
    const relaxed = world.client(['memory://nowhere'], { dbName: freshDb(), offline: true });
    await relaxed.counter('likes').increment().wait('local');
    const strict = world.client(['memory://nowhere'], {
      dbName: freshDb(),
      offline: true,
      localDurability: 'strict',
    });
    await strict.counter('likes').increment().wait('local');
    expect(seen).toEqual(['relaxed', 'strict']);
  });

  it("an own write's commit stores one record, online too (acks do not ride along)", async () => {
    const relay = world.relay('us-east-1');
    const client = world.client([relay.url], { dbName: freshDb() });
    const likes = client.counter('likes');
    await world.reach(likes.increment(), 'relay');
    const requests: string[][] = [];
    const proto = IDBObjectStore.prototype;
    const originals = { add: proto.add, put: proto.put, delete: proto.delete };
    for (const name of ['add', 'put', 'delete'] as const) {
      const original = originals[name] as (...a: unknown[]) => IDBRequest;
      (proto as unknown as Record<string, unknown>)[name] = function (
        this: IDBObjectStore,
        ...args: unknown[]
      ) {
        requests.at(-1)?.push(`${this.name}.${name}`);
        return original.apply(this, args);
      };
    }
    restore.push(() => Object.assign(proto, originals));
    for (let i = 0; i < 5; i++) {
      requests.push([]);
      await world.reach(likes.increment(), 'relay'); // the previous one's ack has come
    }
    expect(requests).toEqual(Array(5).fill(['outbox.add']));
  });

  it('acknowledged entries leave the stored outbox at once when the page hides (a reload shows no stale pending writes)', async () => {
    const page = new EventTarget();
    const doc = Object.assign(new EventTarget(), { visibilityState: 'visible' });
    const globals = globalThis as unknown as Record<string, unknown>;
    Object.assign(globals, {
      document: doc,
      addEventListener: page.addEventListener.bind(page),
      removeEventListener: page.removeEventListener.bind(page),
    });
    restore.push(() => {
      delete globals.document;
      delete globals.addEventListener;
      delete globals.removeEventListener;
    });
    const relay = world.relay('us-east-1');
    const dbName = freshDb();
    const client = world.client([relay.url], { dbName });
    const likes = client.counter('likes');
    await world.reach(likes.increment(), 'relay');
    await world.reach(likes.increment(), 'relay');
    await client.flush();
    expect(await countRecords(dbName, 'outbox')).toBe(2); // settling waits a second
    page.dispatchEvent(new Event('pagehide'));
    await client.flush();
    expect(await countRecords(dbName, 'outbox')).toBe(0);
  });

  it('close deletes the acknowledged entries still waiting for a commit', async () => {
    const relay = world.relay('us-east-1');
    const dbName = freshDb();
    const client = world.client([relay.url], { dbName });
    const likes = client.counter('likes');
    await world.reach(likes.increment(), 'relay');
    await client.flush(); // the subscription's sync reply is stored: no commit is coming
    await world.reach(likes.increment(), 'relay');
    await client.close();
    expect(await countRecords(dbName, 'outbox')).toBe(0);
  });

  it('a reconnect that brings nothing stores nothing', async () => {
    const relay = world.relay('us-east-1');
    const { clock } = world;
    const dbName = freshDb();
    const client = world.client([relay.url], { dbName });
    const likes = client.counter('likes');
    await world.reach(likes.increment(), 'relay');
    await clock.until(() => relay.sentOf('sync', 'likes').length === 1, 'the first sync reply');
    await client.flush();
    const before = await countRecords(dbName, 'log');

    client.setOnline(false);
    client.setOnline(true);
    await clock.until(() => relay.sentOf('sync', 'likes').length === 2, 'the sync reply again');
    await client.flush();
    expect(await countRecords(dbName, 'log')).toBe(before);
  });

  it('a delta of known dots that still removes an entry is stored (out-of-order delivery)', async () => {
    const { url } = await res.relay({ region: 'us-east-1' });
    const dbName = freshDb();
    const reader = res.client([url], { dbName });
    const note = reader.mvRegister<string>('note');
    await note.loaded;
    await until(() => reader.status.connection === 'online', 'online');

    // Another replica writes a, then b (replacing a), then c (replacing b).
    const replica = newReplicaId();
    const writer = res.track(await rawWriter(url, replica));
    const state = MVRegister.empty();
    const [a, b, c] = ['a', 'b', 'c'].map((value) => {
      const delta = MVRegister.set(state, { replica }, value);
      MVRegister.merge(state, delta);
      return MVRegister.encode(delta);
    });
    // c arrives before b: the reader holds a and c, and has seen b's dot in c's context
    // without b's removal of a. b brings no dot it lacks, but removes a.
    await writer.push('note', a!);
    await until(() => note.values.join() === 'a', 'a arrives');
    await writer.push('note', c!);
    await until(() => note.values.join() === 'a,c', 'c arrives before b');
    await writer.push('note', b!);
    await until(() => note.values.join() === 'c', 'b removes a');
    await reader.close();

    const again = res.client([url], { dbName, offline: true });
    const stored = again.mvRegister<string>('note');
    await stored.loaded;
    expect(stored.values).toEqual(['c']);
  });

  it("a tab does not store again the relay's copies of another tab's writes", async () => {
    const relay = await res.relay({ region: 'us-east-1' });
    // The other tab's link is slow: another tab's writes reach it over BroadcastChannel first.
    const { proxy, url: slow } = await res.proxy(relay.port);
    proxy.delayDownstream(50);
    const dbName = freshDb();
    const writer = res.client([relay.url], { dbName });
    const other = res.client([slow], { dbName });
    const likes = writer.counter('likes');
    const seen = other.counter('likes');
    await Promise.all([likes.loaded, seen.loaded]);
    await until(
      () => writer.status.connection === 'online' && other.status.connection === 'online',
      'both online',
    );
    await sleep(200); // the subscriptions' sync replies are in
    await Promise.all([writer.flush(), other.flush()]);
    const stored = async () =>
      (await countRecords(dbName, 'log')) + (await countRecords(dbName, 'outbox'));
    const before = await stored();
    const tap = new WireTap();
    restore.push(() => tap.stop());

    for (let i = 1; i <= 10; i++) {
      await likes.increment().wait('relay');
      await until(() => seen.value === i, 'the other tab sees the write');
    }
    await sleep(300); // every fan-out reached the other tab
    await Promise.all([writer.flush(), other.flush()]);
    // The relay did send each write back to the other tab, which did not store it again.
    expect(tap.received('delta', 'likes').filter((f) => f.url === slow)).toHaveLength(10);
    // The writer's ten, once: in the outbox, or in the log once settled.
    expect(await stored()).toBe(before + 10);
  });
});
