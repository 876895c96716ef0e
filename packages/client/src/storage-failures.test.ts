import 'fake-indexeddb/auto';
import { forceCloseDatabase } from 'fake-indexeddb';
import { afterEach, describe, expect, it } from 'vitest';
import type { HeliosClient } from './client.js';
import type { Receipt } from './receipt.js';
import { freshDb, Resources, until } from './test-support/harness.js';

/**
 * Every way IndexedDB fails shows on `status.storage` with its problem, and the client carries
 * on in memory: values stay right, no pending write is dropped, no dot is minted twice, and
 * everything still reaches the relay.
 */
const res = new Resources();
const restore: (() => void)[] = [];
afterEach(async () => {
  for (const undo of restore.splice(0).reverse()) undo();
  await res.closeAll();
});

/** Replaces `obj[key]` for the rest of the test. */
function patch<T extends object, K extends keyof T>(obj: T, key: K, value: T[K]): void {
  const had = Object.hasOwn(obj, key);
  const old = obj[key];
  obj[key] = value;
  restore.push(() => {
    if (had) obj[key] = old;
    else delete obj[key];
  });
}

/** Makes every IndexedDB `add` fail as a full disk does, until the test ends. */
function fillTheDisk(): void {
  patch(IDBObjectStore.prototype, 'add', () => {
    throw new DOMException('the quota has been exceeded', 'QuotaExceededError');
  });
}

/** Records the IDBDatabase connections the client opens. */
function captureConnections(): IDBDatabase[] {
  const connections: IDBDatabase[] = [];
  const open = indexedDB.open.bind(indexedDB);
  patch(indexedDB, 'open', (name: string, version?: number) => {
    const request = open(name, version);
    request.addEventListener('success', () => connections.push(request.result));
    return request;
  });
  return connections;
}

/** What the browser does when it closes a connection under the page (e.g. disk trouble). */
function closeAbnormally(db: IDBDatabase): void {
  // fake-indexeddb types its parameter as the IDBDatabase constructor; it takes an instance.
  forceCloseDatabase(db as unknown as Parameters<typeof forceCloseDatabase>[0]);
}

/** Checks that the writes reach a relay and that a fresh reader there sees `expected`. */
async function reachesRelay(
  client: HeliosClient,
  receipts: readonly Receipt[],
  url: string,
  read: (reader: HeliosClient) => () => boolean,
): Promise<void> {
  client.setOnline(true);
  await client.flush('relay');
  await Promise.all(receipts.map((r) => r.wait('relay')));
  expect(client.status.pendingTotal).toBe(0);
  expect(client.status.lastError).toBeNull();
  const check = read(res.client([url]));
  await until(check, 'a reader on the relay sees every write');
}

describe('storage failures', () => {
  it('IndexedDB unavailable: memory, problem "unavailable"; writes apply and sync', async () => {
    const { url } = await res.relay({ region: 'us-east-1' });
    patch(globalThis, 'indexedDB', undefined as unknown as IDBFactory);
    const c = res.client([url], { persistence: 'indexeddb', offline: true });
    const likes = c.counter('likes');
    await likes.loaded;
    expect(c.status.storage.kind).toBe('memory');
    expect(c.status.storage.problem).toBe('unavailable');
    expect(c.status.storage.message).toMatch(/IndexedDB/);
    const receipts = [likes.increment(2), likes.increment(3)];
    expect(likes.value).toBe(5);
    await Promise.all(receipts.map((r) => r.wait('local')));
    expect(c.status.pendingTotal).toBe(2);
    await reachesRelay(c, receipts, url, (reader) => {
      const seen = reader.counter('likes');
      return () => seen.value === 5;
    });

    // Without asking for IndexedDB, its absence (Node) is no problem: memory is the default.
    const plain = res.client([url], { offline: true });
    await plain.ready;
    expect(plain.status.storage).toEqual({ kind: 'memory' });
  });

  it('IndexedDB refusing to open (private mode): memory, problem "unavailable"', async () => {
    const { url } = await res.relay({ region: 'us-east-1' });
    patch(indexedDB, 'open', () => {
      throw new DOMException('access to IndexedDB is denied', 'SecurityError');
    });
    const c = res.client([url], { offline: true });
    const tags = c.awSet<string>('tags');
    await tags.loaded;
    expect(c.status.storage.kind).toBe('memory');
    expect(c.status.storage.problem).toBe('unavailable');
    const receipts = [tags.add('a'), tags.add('b')];
    await Promise.all(receipts.map((r) => r.wait('local')));
    await reachesRelay(c, receipts, url, (reader) => {
      const seen = reader.awSet<string>('tags');
      return () => seen.value.size === 2;
    });
  });

  it('quota exceeded mid-session: memory, problem "quota-exceeded"; no pending write lost', async () => {
    const { url } = await res.relay({ region: 'us-east-1' });
    const c = res.client([url], { offline: true });
    const cart = c.awSet<string>('cart');
    const likes = c.counter('likes');
    await Promise.all([cart.loaded, likes.loaded]);
    expect(c.status.storage).toEqual({ kind: 'indexeddb' });
    const before = [cart.add('a'), cart.add('b'), likes.increment(1)];
    await Promise.all(before.map((r) => r.wait('local')));
    expect(c.status.pendingTotal).toBe(3);

    fillTheDisk();
    const after = [cart.add('c'), likes.increment(10), cart.remove('a'), likes.increment(100)];
    await Promise.all(after.map((r) => r.wait('local')));
    expect(c.status.storage.kind).toBe('memory');
    expect(c.status.storage.problem).toBe('quota-exceeded');
    expect([...cart.value].sort()).toEqual(['b', 'c']);
    expect(likes.value).toBe(111);
    // The writes made in IndexedDB and those made in memory are all still pending.
    expect(c.status.pendingTotal).toBe(7);
    expect(c.status.pending).toEqual({ cart: 4, likes: 3 });
    // More writes keep working in memory.
    const more = [cart.add('d'), likes.increment(1000)];
    await Promise.all(more.map((r) => r.wait('local')));
    expect(c.status.pendingTotal).toBe(9);

    await reachesRelay(c, [...before, ...after, ...more], url, (reader) => {
      const seenCart = reader.awSet<string>('cart');
      const seenLikes = reader.counter('likes');
      return () =>
        seenLikes.value === 1111 &&
        [...seenCart.value].sort().join() === 'b,c,d' &&
        [...cart.value].sort().join() === 'b,c,d';
    });
  });

  it('quota exceeded while online: writes after the fallback are still accepted by the relay', async () => {
    const { url } = await res.relay({ region: 'us-east-1' });
    const c = res.client([url]);
    const likes = c.counter('likes');
    await likes.loaded;
    await likes.increment().wait('relay');
    const replicaBefore = c.replica;
    fillTheDisk();
    // Minted before the commit failed: still as the old replica.
    const failing = [likes.increment(2), likes.increment(3)];
    await Promise.all(failing.map((r) => r.wait('relay')));
    expect(c.status.storage.problem).toBe('quota-exceeded');
    // From now on it writes as a fresh replica, which the relay learnt on a new handshake.
    expect(c.replica).not.toBe(replicaBefore);
    const after = [likes.increment(4), likes.decrement(4)];
    await Promise.all(after.map((r) => r.wait('relay')));
    expect(after.every((r) => r.dot?.replica === c.replica)).toBe(true);
    expect(c.status.lastError).toBeNull();
    const seen = res.client([url]).counter('likes');
    await until(() => seen.value === 6, 'the relay has every write');
    expect(likes.value).toBe(6);
  });

  it('after falling back to memory, a document stored earlier is never written with reused dots', async () => {
    const { url } = await res.relay({ region: 'us-east-1' });
    const dbName = freshDb();
    const first = res.client([url], { dbName });
    const stored = first.counter('stored');
    await stored.loaded;
    const earlier = [stored.increment(), stored.increment(), stored.increment()];
    await first.flush('relay');
    await first.close();

    const c = res.client([url], { dbName, offline: true });
    const other = c.counter('other');
    await other.loaded;
    fillTheDisk();
    await other.increment().wait('local');
    expect(c.status.storage.problem).toBe('quota-exceeded');
    // Opened after the fallback: its history is in IndexedDB, out of reach now.
    const late = c.counter('stored');
    await late.loaded;
    const receipt = late.increment(10);
    await receipt.wait('local');
    const used = new Set(earlier.map((r) => `${r.dot!.replica}:${r.dot!.seq}`));
    expect(used.has(`${receipt.dot!.replica}:${receipt.dot!.seq}`)).toBe(false);

    await reachesRelay(c, [receipt], url, (reader) => {
      const seen = reader.counter('stored');
      return () => seen.value === 13;
    });
    await until(() => late.value === 13, 'the client catches up with what it could not read');
  });

  it('a newer version from another tab: problem "version-change"; writes keep working', async () => {
    const { url } = await res.relay({ region: 'us-east-1' });
    const dbName = freshDb();
    const c = res.client([url], { dbName, offline: true });
    const notes = c.awSet<string>('notes');
    await notes.loaded;
    const before = [notes.add('one'), notes.add('two')];
    await Promise.all(before.map((r) => r.wait('local')));

    // The newer tab: same database, higher version. It can only open once we let go.
    const upgraded = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open(dbName, 3);
      request.onupgradeneeded = () => request.result.createObjectStore('v2-only');
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    restore.push(() => upgraded.close());
    expect(upgraded.version).toBe(3);
    await until(() => c.status.storage.problem === 'version-change', 'status shows it');
    expect(c.status.storage.kind).toBe('memory');

    const after = [notes.add('three'), notes.remove('one')];
    await Promise.all(after.map((r) => r.wait('local')));
    expect([...notes.value].sort()).toEqual(['three', 'two']);
    expect(c.status.pendingTotal).toBe(4);

    // A tab of the old version opened now cannot use the upgraded database either.
    const old = res.client([url], { dbName, offline: true });
    await old.ready;
    expect(old.status.storage.kind).toBe('memory');
    expect(old.status.storage.problem).toBe('version-change');

    await reachesRelay(c, [...before, ...after], url, (reader) => {
      const seen = reader.awSet<string>('notes');
      return () => [...seen.value].sort().join() === 'three,two';
    });
  });

  it('connection lost: IndexedDB is reopened and writes stay durable', async () => {
    const { url } = await res.relay({ region: 'us-east-1' });
    const dbName = freshDb();
    const connections = captureConnections();
    const c = res.client([url], { dbName, offline: true });
    const likes = c.counter('likes');
    await likes.loaded;
    await likes.increment().wait('local');
    expect(connections).toHaveLength(1);

    closeAbnormally(connections[0]!);
    const receipts = [likes.increment(), likes.increment()];
    await Promise.all(receipts.map((r) => r.wait('local')));
    expect(connections.length).toBeGreaterThanOrEqual(2);
    expect(c.status.storage).toEqual({ kind: 'indexeddb' });
    expect(c.status.pendingTotal).toBe(3);
    await c.close();

    const again = res.client([url], { dbName, offline: true });
    const likes2 = again.counter('likes');
    await likes2.loaded;
    expect(likes2.value).toBe(3);
    expect(again.status.pendingTotal).toBe(3);
  });

  it('connection lost for good: memory, problem "connection-lost"; nothing lost', async () => {
    const { url } = await res.relay({ region: 'us-east-1' });
    const connections = captureConnections();
    const c = res.client([url], { offline: true });
    const likes = c.counter('likes');
    await likes.loaded;
    const before = [likes.increment(), likes.increment()];
    await Promise.all(before.map((r) => r.wait('local')));

    patch(indexedDB, 'open', () => {
      throw new DOMException('the browser is shutting IndexedDB down', 'UnknownError');
    });
    closeAbnormally(connections[0]!);
    await until(() => c.status.storage.kind === 'memory', 'fell back to memory');
    expect(c.status.storage.problem).toBe('connection-lost');
    const after = [likes.increment(5), likes.decrement(1)];
    await Promise.all(after.map((r) => r.wait('local')));
    expect(likes.value).toBe(6);
    expect(c.status.pendingTotal).toBe(4);
    await reachesRelay(c, [...before, ...after], url, (reader) => {
      const seen = reader.counter('likes');
      return () => seen.value === 6;
    });
  });
});
