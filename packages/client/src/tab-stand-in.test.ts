import 'fake-indexeddb/auto';
import { LWWMap } from '@helios/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { IdbPersistence } from './persistence/idb-persistence.js';
import type { ClientPersistence } from './persistence/persistence.js';
import { tabChannelName } from './tab-channel.js';
import { FakeWebLocks } from './test-support/fake-web-locks.js';
import { freshDb, Resources, sleep, until } from './test-support/harness.js';

/**
 * Tabs with Web Locks (a fake of one process): a write is posted to the other tabs as its
 * commit starts, shown there at once, and stored by them if its tab dies before its commit.
 */
const res = new Resources();
let locks: FakeWebLocks;
beforeEach(() => {
  locks = new FakeWebLocks();
  vi.stubGlobal('navigator', { locks });
});
afterEach(async () => {
  await res.closeAll();
  vi.unstubAllGlobals();
});

/** IndexedDB of `dbName` whose commits wait, once `hold()` was called, for `open()`. */
async function heldStorage(dbName: string) {
  const idb = await IdbPersistence.open(dbName, () => {});
  let gate = Promise.resolve();
  let open = () => {};
  const persistence = new Proxy(idb, {
    get(target, key) {
      if (key === 'commit') {
        return async (batch: Parameters<ClientPersistence['commit']>[0]) => {
          await gate;
          return target.commit(batch);
        };
      }
      const value = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  }) as ClientPersistence;
  return {
    persistence,
    hold() {
      gate = new Promise<void>((resolve) => {
        open = resolve;
      });
    },
    open: () => open(),
  };
}

/** Tab A (storage held at will, slot 0) and tab B (slot 1) of one profile, `m` loaded in both. */
async function twoTabs() {
  const dbName = freshDb();
  const storage = await heldStorage(dbName);
  const a = res.client(['http://127.0.0.1:9'], {
    dbName,
    offline: true,
    persistence: storage.persistence,
  });
  await a.ready;
  await until(() => locks.held().some((n) => n.includes(':tab:')), "A's tab lock");
  const aTabLock = locks.held().find((n) => n.includes(':tab:')) as string;
  const b = res.client(['http://127.0.0.1:9'], { dbName, offline: true });
  const [ma, mb] = [a.lwwMap<number>('m'), b.lwwMap<number>('m')];
  await Promise.all([ma.loaded, mb.loaded, b.ready]);
  // The first write B hears of A: shown once stored (B was not watching A before it).
  ma.set('k', 1);
  await until(() => mb.get('k') === 1, 'the first write crossed');
  return { dbName, storage, a, b, ma, mb, aTabLock };
}

describe('tabs with Web Locks', () => {
  it("show another tab's write while its commit waits; their own write to it commits after it", async () => {
    const { storage, ma, mb } = await twoTabs();
    storage.hold();
    const fromA = ma.set('k', 2);
    await until(() => mb.get('k') === 2, "B shows A's write before A's commit");
    expect(fromA.level).toBe('pending');
    const fromB = mb.set('k', 3); // its context covers A's dot: stored only after A's write is
    await sleep(50);
    expect(fromB.level).toBe('pending');
    storage.open();
    await Promise.all([fromA.wait('local'), fromB.wait('local')]);
    await until(() => ma.get('k') === 3, "A shows B's write");
  });

  it('store the write of a tab that died before its commit, before its slot can be taken again', async () => {
    const { dbName, storage, a, b, ma, mb, aTabLock } = await twoTabs();
    storage.hold();
    const lost = ma.set('k', 2);
    await until(() => mb.get('k') === 2, "B shows A's write");
    const fromB = mb.set('other', 5);
    const seqOfA = lost.dot?.seq;
    expect(seqOfA).toBe(2);
    // A dies: its locks go, its commit never runs.
    locks.crash(`helios:${dbName}:slot:0`);
    locks.crash(aTabLock);
    await fromB.wait('local');
    expect(lost.level).toBe('pending');
    // The next tab takes A's slot, after B stored A's write in A's stead.
    const c = res.client(['http://127.0.0.1:9'], { dbName, offline: true });
    await c.ready;
    expect(c.replica).toBe(a.replica);
    const mc = c.lwwMap<number>('m');
    await mc.loaded;
    expect(mc.get('k')).toBe(2);
    expect(mc.get('other')).toBe(5);
    const next = mc.set('k', 4);
    expect(next.dot).toEqual({ replica: a.replica, seq: 3 }); // A's dot is not minted again
    await until(() => mb.get('k') === 4, 'B shows the new tab');
    // B pushes A's write with its own when online: it is in B's outbox.
    expect(b.status.pendingTotal).toBeGreaterThanOrEqual(2);
    storage.open(); // A's commit, late: the same write, stored twice, changes nothing
  });

  it('never show the unsettled writes of a tab that holds no tab lock, whose slot another tab holds', async () => {
    // As a writer that died, and whose slot a new tab took, before this tab first heard of it.
    const { dbName, b, mb } = await twoTabs();
    const ghost = 'dddddddddddddd';
    const later = () => ({ wall: Date.now() + 60_000, counter: 0, replica: ghost });
    const forger = new BroadcastChannel(tabChannelName(dbName));
    for (const commit of [1, 2]) {
      const actor = { replica: ghost, now: later };
      const delta = LWWMap.encode(LWWMap.set(LWWMap.empty(), actor, `k${commit}`, 99));
      forger.postMessage({
        kind: 'writes',
        tab: 'ghost',
        commit,
        writes: [{ doc: 'm', delta, dot: { replica: ghost, seq: commit } }],
        stored: false,
        slot: `helios:${dbName}:slot:0`, // A's: held
        tabLock: `helios:${dbName}:tab:ghost`, // nobody's
      });
      await sleep(50); // the first message's tab-lock question is answered meanwhile
    }
    forger.close();
    expect(mb.get('k1')).toBeUndefined();
    expect(mb.get('k2')).toBeUndefined();
    expect(b.status.pendingTotal).toBe(0); // nothing stored in the ghost's stead
  });
});
