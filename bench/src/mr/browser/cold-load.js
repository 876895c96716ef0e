/**
 * The cold load of a large document (the browser suite's `coldLoad100kChromiumMs`): one page
 * writes a 100k-entry LWW-Map through the client, synced with a stand-in relay so that its
 * outbox empties and the client folds the log into its snapshot as it would in use; later a
 * fresh browser opens the client on that profile and times the way to the first value.
 */
import { createClient, MemoryTransport, systemClock } from '@helios/client';
import { LWWMap } from '@helios/core';
import { MemoryRelay } from '../../../../packages/client/src/test-support/memory-relay.ts';

const RELAY = 'memory://bench';

/** Resolves once `dbName`'s log holds no delta: the client's compaction has folded them all. */
/**
 * Waits until the client's snapshot of `doc` holds more than `minBytes`: its own writes are
 * folded in only once acknowledged and moved from the outbox to the log, at the compaction after
 * that.
 */
async function untilSnapshotted(
  /** @type {string} */ dbName,
  /** @type {string} */ doc,
  /** @type {number} */ minBytes,
) {
  for (let i = 0; i < 600; i++) {
    if ((await readSnapshot(dbName, doc)).length > minBytes) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${dbName}: ${doc} was never compacted into its snapshot`);
}

/**
 * Writes `n` keys (`k0`…) of document `doc` through a client with IndexedDB, pushes them to a
 * stand-in relay in the page until acknowledged, and waits for the client's own compaction to
 * fold them into a snapshot. The keys are set in one mutation (each with a dot and a timestamp
 * of its own, as `n` sets would be) rather than `n` writes, which take minutes. An own write
 * reaches the log only once settled (at the latest when its client closes), and is folded by the
 * compaction of a later write: a second client writes one key more (`seeded`), which stays in
 * the log beside the snapshot, as the last writes of a real document do.
 */
export async function seedCold(/** @type {{ dbName: string, doc: string, n: number }} */ o) {
  const started = performance.now();
  const transport = new MemoryTransport();
  new MemoryRelay(/** @type {any} */ (transport), {
    url: RELAY,
    region: 'bench',
    clock: systemClock,
  });
  const client = createClient({ relays: [RELAY], dbName: o.dbName, transport, compactEvery: 1 });
  const map = client.lwwMap(o.doc);
  await map.loaded;
  await map
    .mutate((state, actor) => {
      if (!state.context.isEmpty) throw new Error(`${o.doc} is not new`);
      const all = LWWMap.empty();
      for (let k = 0; k < o.n; k++) LWWMap.merge(all, LWWMap.set(all, actor, `k${k}`, k));
      return all;
    })
    .wait('relay');
  await client.flush('relay');
  await client.close();
  const again = createClient({ relays: [RELAY], dbName: o.dbName, transport, compactEvery: 1 });
  const last = again.lwwMap(o.doc);
  await last.loaded;
  await last.set('seeded', true).wait('relay');
  await untilSnapshotted(o.dbName, o.doc, o.n);
  await again.close();
  return { seedMs: performance.now() - started };
}

/**
 * A cold open: from `createClient` to the first value of document `doc` (key `key`), offline,
 * with when storage was ready and when the document had loaded, in ms from the start.
 */
export async function coldOpen(/** @type {{ dbName: string, doc: string, key: string }} */ o) {
  const start = performance.now();
  const client = createClient({ relays: [RELAY], dbName: o.dbName, offline: true });
  const map = client.lwwMap(o.doc);
  const ready = client.ready.then(() => performance.now() - start);
  await map.loaded;
  const loaded = performance.now() - start;
  const value = map.get(o.key);
  const first = performance.now() - start;
  const size = map.value.size;
  await client.close();
  // What of that was reading the snapshot and decoding it: timed again, alone, now.
  const t0 = performance.now();
  const snapshot = await readSnapshot(o.dbName, o.doc);
  const read = performance.now() - t0;
  LWWMap.get(LWWMap.decodeStored(snapshot), o.key);
  const decode = performance.now() - t0 - read;
  return { first, loaded, ready: await ready, value, size, read, decode, bytes: snapshot.length };
}

/**
 * The floor of a cold open, without the client: in a fresh browser, `indexedDB.open` → the
 * snapshot record read (one readonly transaction) → decoded as stored bytes → key `key` read, in
 * ms from the start.
 */
export async function bareColdOpen(/** @type {{ dbName: string, doc: string, key: string }} */ o) {
  const start = performance.now();
  const db = await new Promise((resolve, reject) => {
    const req = indexedDB.open(o.dbName);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  const opened = performance.now() - start;
  const snapshot = await new Promise((resolve, reject) => {
    const get = db.transaction('docs').objectStore('docs').get(o.doc);
    get.onsuccess = () => resolve(get.result.snapshot);
    get.onerror = () => reject(get.error);
  });
  const read = performance.now() - start;
  LWWMap.get(LWWMap.decodeStored(snapshot), o.key);
  const decoded = performance.now() - start;
  db.close();
  return { opened, read, decoded };
}

/** The snapshot the client keeps of `doc` (see IdbPersistence), read in a connection of its own. */
function readSnapshot(/** @type {string} */ dbName, /** @type {string} */ doc) {
  return /** @type {Promise<Uint8Array>} */ (
    new Promise((resolve, reject) => {
      const req = indexedDB.open(dbName);
      req.onsuccess = () => {
        const db = req.result;
        const get = db.transaction('docs').objectStore('docs').get(doc);
        get.onsuccess = () => {
          db.close();
          resolve(get.result.snapshot);
        };
        get.onerror = () => reject(get.error);
      };
      req.onerror = () => reject(req.error);
    })
  );
}
