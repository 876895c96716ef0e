import 'fake-indexeddb/auto';
import type { Dot } from '@helios/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { HeliosClient } from './client.js';
import type { Receipt } from './receipt.js';
import { tabChannelName } from './tab-channel.js';
import { freshDb, Resources, sleep, until } from './test-support/harness.js';

/**
 * Two clients on one database name in one process are two tabs of one browser profile: they
 * share IndexedDB (fake-indexeddb is one per process), talk over BroadcastChannel, and take
 * replica slots under the in-process lock set (Node has no navigator.locks).
 */
const res = new Resources();
afterEach(() => {
  vi.restoreAllMocks();
  return res.closeAll();
});

const dotKey = (doc: string, dot: Dot) => `${doc}|${dot.replica}|${dot.seq}`;

describe('tabs', () => {
  it('a write in one tab shows in the other within milliseconds, even while both are offline', async () => {
    const dbName = freshDb();
    const a = res.client(['http://127.0.0.1:9'], { dbName, offline: true });
    const b = res.client(['http://127.0.0.1:9'], { dbName, offline: true });
    const [likesA, likesB] = [a.counter('likes'), b.counter('likes')];
    const [setA, setB] = [a.awSet<string>('set'), b.awSet<string>('set')];
    await Promise.all([likesA.loaded, likesB.loaded, setA.loaded, setB.loaded]);

    const delays: number[] = [];
    for (let i = 1; i <= 20; i++) {
      const [writer, reader] = i % 2 === 0 ? [likesA, likesB] : [likesB, likesA];
      const seen = new Promise<number>((resolve) => {
        const off = reader.subscribe(() => {
          if (reader.value !== i) return;
          off();
          resolve(performance.now());
        });
      });
      const t0 = performance.now();
      writer.increment();
      delays.push((await seen) - t0);
    }
    setA.add('from-a');
    setB.add('from-b');
    await until(() => setA.value.size === 2 && setB.value.size === 2, 'sets merged across tabs');
    setB.remove('from-a');
    await until(() => !setA.has('from-a'), 'a removal crosses too');
    delays.sort((x, y) => x - y);
    // Commit to (fake) IndexedDB, then one BroadcastChannel hop: typically well under 1 ms.
    // The bounds leave room for a loaded CI machine.
    expect(delays[delays.length >> 1]!).toBeLessThan(50);
    expect(delays[delays.length - 1]!).toBeLessThan(1_000);
    expect(a.status.connection).toBe('offline');
    expect(b.status.connection).toBe('offline');
  });

  it('the writes of one commit reach the other tabs in one message, after their receipts', async () => {
    const dbName = freshDb();
    const a = res.client(['http://127.0.0.1:9'], { dbName, offline: true });
    const b = res.client(['http://127.0.0.1:9'], { dbName, offline: true });
    const [likesA, setA] = [a.counter('likes'), a.awSet<string>('set')];
    const [likesB, setB] = [b.counter('likes'), b.awSet<string>('set')];
    await Promise.all([likesA.loaded, setA.loaded, likesB.loaded, setB.loaded]);
    const posts: { levels: string[]; docs: string[] }[] = [];
    const receipts: Receipt[] = [];
    const post = BroadcastChannel.prototype.postMessage;
    vi.spyOn(BroadcastChannel.prototype, 'postMessage').mockImplementation(function (
      this: BroadcastChannel,
      message: unknown,
    ) {
      if (this.name === tabChannelName(dbName)) {
        const { writes } = message as { writes: { doc: string }[] };
        posts.push({ levels: receipts.map((r) => r.level), docs: writes.map((w) => w.doc) });
      }
      post.call(this, message);
    });

    // One task, three writes over two documents: one commit, one message.
    receipts.push(likesA.increment(), setA.add('x'), likesA.increment(2));
    await until(() => likesB.value === 3 && setB.has('x'), 'the other tab has all three');
    expect(posts).toEqual([
      { levels: ['local', 'local', 'local'], docs: ['likes', 'set', 'likes'] },
    ]);
  });

  it('a message of another shape on the tab channel changes nothing', async () => {
    const dbName = freshDb();
    const a = res.client(['http://127.0.0.1:9'], { dbName, offline: true });
    const b = res.client(['http://127.0.0.1:9'], { dbName, offline: true });
    const [likesA, likesB] = [a.counter('likes'), b.counter('likes')];
    await Promise.all([likesA.loaded, likesB.loaded]);
    likesA.increment();
    await until(() => likesB.value === 1, 'the first write crossed');
    // What anything else might post on the channel.
    const stranger = new BroadcastChannel(tabChannelName(dbName));
    for (const junk of [
      { doc: 'likes', delta: new Uint8Array([1, 2, 3]) },
      null,
      7,
      { writes: 1 },
    ]) {
      stranger.postMessage(junk);
    }
    stranger.close();
    likesA.increment();
    await until(() => likesB.value === 2, 'the next write crossed');
    expect(b.status.lastError).toBeNull();
  });

  it('tabs hold different replica ids; a new tab takes a freed slot and continues its seqs', async () => {
    const dbName = freshDb();
    const offline = { dbName, offline: true } as const;
    const dots = new Map<string, string>();
    const collect = (tab: string, receipts: Receipt[]) => {
      for (const r of receipts) {
        expect(r.dot).toBeDefined();
        const key = dotKey(r.doc, r.dot!);
        expect(dots.get(key), `dot ${key} of ${tab} reused`).toBeUndefined();
        dots.set(key, tab);
      }
    };
    const writeSome = async (tab: string, c: HeliosClient, n: number) => {
      const counter = c.counter('shared');
      const set = c.awSet<string>('items');
      const own = c.mvRegister<string>(`own-${tab}`);
      await Promise.all([counter.loaded, set.loaded, own.loaded]);
      const receipts: Receipt[] = [];
      for (let i = 0; i < n; i++) {
        receipts.push(counter.increment(), set.add(`${tab}-${i}`), own.set(`${tab}-${i}`));
      }
      await Promise.all(receipts.map((r) => r.wait('local')));
      collect(tab, receipts);
      return receipts;
    };
    const maxSeq = (receipts: Receipt[], doc: string) =>
      Math.max(...receipts.filter((r) => r.doc === doc).map((r) => r.dot!.seq));

    const a = res.client(['http://127.0.0.1:9'], offline);
    const b = res.client(['http://127.0.0.1:9'], offline);
    await Promise.all([a.ready, b.ready]);
    expect(a.replica).toBeDefined();
    expect(b.replica).toBeDefined();
    expect(a.replica).not.toBe(b.replica);
    const fromA = await writeSome('a', a, 15);
    await writeSome('b', b, 15);
    const aReplica = a.replica!;
    await a.close();

    // The next tab takes the slot `a` freed: same replica id, seqs continuing after a's.
    const c = res.client(['http://127.0.0.1:9'], offline);
    await c.ready;
    expect(c.replica).toBe(aReplica);
    const fromC = await writeSome('c', c, 15);
    expect(Math.min(...fromC.filter((r) => r.doc === 'shared').map((r) => r.dot!.seq))).toBe(
      maxSeq(fromA, 'shared') + 1,
    );

    // A third concurrent tab gets a third replica.
    const d = res.client(['http://127.0.0.1:9'], offline);
    await d.ready;
    expect(new Set([b.replica, c.replica, d.replica]).size).toBe(3);
    await writeSome('d', d, 5);

    // Restart everything: the slots and their seqs carry on from storage.
    await Promise.all([b.close(), c.close(), d.close()]);
    const e = res.client(['http://127.0.0.1:9'], offline);
    const f = res.client(['http://127.0.0.1:9'], offline);
    await Promise.all([e.ready, f.ready]);
    expect(new Set([e.replica, f.replica, aReplica]).size).toBe(2); // slot 0 is a's again
    await writeSome('e', e, 10);
    await writeSome('f', f, 10);
    // Every tab wrote 'shared' at least once per round; every dot is distinct (checked on
    // collection), and the count is what was written.
    expect(dots.size).toBe(3 * (15 + 15 + 15 + 5 + 10 + 10));
    // Everyone converged through BroadcastChannel and storage.
    const shared = [e, f].map((x) => x.counter('shared'));
    await Promise.all(shared.map((s) => s.loaded));
    await until(
      () => shared.every((s) => s.value === 15 + 15 + 15 + 5 + 10 + 10),
      'tabs agree on the counter',
    );
  });

  it("a tab waiting for a slot reads its documents only once it holds the slot: it never mints the last holder's final dots again", async () => {
    const dbName = freshDb();
    // No tab channel: a tab that dies right after its commit never posts it, and the only way
    // the next holder of its slot learns of it is storage.
    const tab = { dbName, offline: true, tabSync: false, maxReplicaSlots: 1 } as const;
    const a = res.client(['http://127.0.0.1:9'], tab);
    const likesA = a.counter('likes');
    await likesA.loaded;
    const first = likesA.increment();
    await first.wait('local');

    // `next` opens while `a` holds the only slot: it waits for it.
    const next = res.client(['http://127.0.0.1:9'], tab);
    const likesNext = next.counter('likes');
    await sleep(100);
    expect(next.replica).toBeUndefined();
    // `a` commits once more and goes: the slot is free, and only storage has that last write.
    const last = likesA.increment();
    await last.wait('local');
    await a.close();

    await likesNext.loaded;
    expect(next.replica).toBe(a.replica);
    expect(likesNext.value).toBe(2);
    const own = likesNext.increment();
    expect(own.dot).toEqual({ replica: a.replica, seq: last.dot!.seq + 1 });
  });

  it('a crashed tab loses no committed write: the next tab has it and pushes it when online', async () => {
    const { url } = await res.relay({ region: 'us-east-1' });
    const dbName = freshDb();
    // The tab that will crash writes offline: its writes reach 'local' and stay in the outbox.
    const crashed = res.client([url], { dbName, offline: true });
    const survivor = res.client([url], { dbName, offline: true });
    const cart = crashed.awSet<string>('cart');
    const likes = crashed.counter('likes');
    await Promise.all([cart.loaded, likes.loaded, survivor.ready]);
    const receipts = [cart.add('beans'), cart.add('mug'), likes.increment(3)];
    await Promise.all(receipts.map((r) => r.wait('local')));
    // The crash: the client object is dropped without close(). Its slot lock stays held (as a
    // frozen tab's would), so the next tab takes another slot and replica id.

    const next = res.client([url], { dbName, offline: true });
    const cart2 = next.awSet<string>('cart');
    const likes2 = next.counter('likes');
    await Promise.all([cart2.loaded, likes2.loaded]);
    expect(next.replica).not.toBe(crashed.replica);
    expect([...cart2.value].sort()).toEqual(['beans', 'mug']);
    expect(likes2.value).toBe(3);
    expect(next.status.pendingTotal).toBe(3);

    next.setOnline(true);
    await until(() => next.status.pendingTotal === 0, 'the crashed tab’s outbox was pushed');
    expect(next.status.lastError).toBeNull();
    const reader = res.client([url]);
    const seenCart = reader.awSet<string>('cart');
    const seenLikes = reader.counter('likes');
    await until(
      () => seenCart.value.size === 2 && seenLikes.value === 3,
      'the relay has the crashed tab’s writes',
    );
    // The survivor, also holding the crashed tab's outbox, pushes the same entries: harmless.
    survivor.setOnline(true);
    await survivor.flush('relay');
    await sleep(100);
    expect(seenLikes.value).toBe(3);
  });
});
