import { describe, expect, it } from 'vitest';
import { CommitQueue, type CommitUnit } from './commit-queue.js';
import { MemoryStore } from './store/memory-store.js';
import type { CommitBatch } from './store/relay-store.js';

/** A memory store whose commits wait until the test lets them through, one at a time. */
class GatedStore extends MemoryStore {
  readonly batches: string[][] = [];
  #open: (() => void)[] = [];

  constructor() {
    super({ region: 'us-east-1' });
  }

  override async commit(batch: CommitBatch): Promise<number[]> {
    this.batches.push(batch.changes.map((c) => c.doc));
    await new Promise<void>((resolve) => this.#open.push(resolve));
    return super.commit(batch);
  }

  /** Lets the commit in flight finish, once one has started. */
  async next(): Promise<void> {
    while (this.#open.length === 0) await new Promise((r) => setImmediate(r));
    this.#open.shift()!();
    await new Promise((r) => setImmediate(r));
  }
}

const unit = (...docs: string[]): CommitUnit => ({
  changes: docs.map((doc) => ({ doc, delta: new Uint8Array([1]), origin: 'us-east-1' })),
});

describe('CommitQueue', () => {
  it('commits an interactive unit after at most one bulk batch, in a batch of its own', async () => {
    const store = new GatedStore();
    const queue = new CommitQueue(store, 2);
    const bulk = ['b1', 'b2', 'b3', 'b4', 'b5', 'b6'].map((d) => queue.commit(unit(d), 'bulk'));
    await new Promise((r) => setImmediate(r)); // the first bulk batch is being written
    const mine = queue.commit(unit('me'), 'interactive');
    for (let i = 0; i < 4; i++) await store.next();
    await Promise.all([...bulk, mine]);
    expect(store.batches).toEqual([['b1', 'b2'], ['me'], ['b3', 'b4'], ['b5', 'b6']]);
  });

  it('keeps the order of each lane, and seqs follow the commits', async () => {
    const queue = new CommitQueue(new MemoryStore({ region: 'us-east-1' }), 3);
    const results = await Promise.all([
      queue.commit(unit('b1', 'b2'), 'bulk'),
      queue.commit(unit('i1'), 'interactive'),
      queue.commit(unit('b3'), 'bulk'),
      queue.commit(unit('i2'), 'interactive'),
    ]);
    const [b12, i1, b3, i2] = results.map((r) => r.seqs);
    expect(b12![0]! < b12![1]! && b12![1]! < b3![0]!).toBe(true);
    expect(i1![0]! < i2![0]!).toBe(true);
  });

  it('a barrier waits for what either lane has queued before it', async () => {
    const store = new GatedStore();
    const queue = new CommitQueue(store, 10);
    const done: string[] = [];
    void queue.commit(unit('b'), 'bulk').then(() => done.push('bulk'));
    void queue.commit(unit('i'), 'interactive').then(() => done.push('interactive'));
    const barrier = queue.barrier().then(() => done.push('barrier'));
    await store.next();
    expect(done).not.toContain('barrier');
    await store.next();
    await barrier;
    expect(done).toEqual(['interactive', 'bulk', 'barrier']);
  });

  it('has no room for bulk work while a whole batch waits, and makes room as it commits', async () => {
    const store = new GatedStore();
    const queue = new CommitQueue(store, 2);
    expect(queue.room()).toBeUndefined();
    void queue.commit(unit('b1', 'b2'), 'bulk');
    await new Promise((r) => setImmediate(r)); // taken into the first commit
    expect(queue.room()).toBeUndefined();
    void queue.commit(unit('b3', 'b4'), 'bulk');
    expect(queue.bulkFull).toBe(true);
    let roomy = false;
    void queue.room()!.then(() => {
      roomy = true;
    });
    // Interactive units never wait for room: `i` goes to the store at once, behind b1 b2.
    void queue.commit(unit('i'), 'interactive');
    expect(queue.bulkFull).toBe(true);
    expect(store.batches).toEqual([['b1', 'b2'], ['i']]);
    expect(roomy).toBe(false);
    await store.next(); // b1 b2 done: b3 b4 are taken into the next bulk commit
    expect(roomy).toBe(true); // nothing waits behind them
    expect(queue.bulkFull).toBe(false);
    await store.next();
    await store.next();
    await queue.flush();
    expect(store.batches).toEqual([['b1', 'b2'], ['i'], ['b3', 'b4']]);
  });

  it('sizes bulk batches to what the store commits in about 2 ms', async () => {
    const clock = { ms: 0 };
    let msPerChange = 0.01;
    const sizes: number[] = [];
    const store = new (class extends MemoryStore {
      override async commit(batch: CommitBatch): Promise<number[]> {
        sizes.push(batch.changes.length);
        clock.ms += 1 + batch.changes.length * msPerChange; // an fsync, then per change
        return super.commit(batch);
      }
    })({ region: 'us-east-1' });
    const queue = new CommitQueue(store, 5000, { now: () => clock.ms });
    const backlog = (n: number) =>
      Promise.all(Array.from({ length: n }, (_, i) => queue.commit(unit(`d${i}`), 'bulk')));
    await backlog(20_000);
    // Fast commits: batches go from a first guess of 256 to ~100 (1 + 100 × 0.01 = 2 ms).
    expect(sizes[0]).toBe(256);
    expect(sizes.at(-2)).toBeGreaterThan(90);
    expect(sizes.at(-2)).toBeLessThan(110);
    // Slow commits (a busy disk): they shrink, down to 64 changes at least.
    sizes.length = 0;
    msPerChange = 1;
    await backlog(2_000);
    expect(sizes.at(-2)).toBe(64);
    // The interactive lane is not sized: its first unit goes to the store at once, and the next
    // commit takes all that was queued meanwhile, up to maxCommitBatch.
    sizes.length = 0;
    await Promise.all(Array.from({ length: 300 }, (_, i) => queue.commit(unit(`i${i}`))));
    expect(sizes).toEqual([1, 299]);
  });
});

describe('CommitQueue, bulk lane resting', () => {
  it('rests after each bulk commit as long as bulkRest says; an interactive unit goes meanwhile', async () => {
    const store = new GatedStore();
    const rests: number[] = [];
    let clock = 0;
    const queue = new CommitQueue(store, 2, {
      now: () => clock,
      bulkRest: (busyMs) => {
        rests.push(busyMs);
        return 30;
      },
    });
    // Bulk units queued together go in one batch: the second is queued once the first is being
    // written.
    const first = queue.commit(unit('a'), 'bulk');
    await new Promise((r) => setImmediate(r)); // [a] is being written
    const second = queue.commit(unit('b'), 'bulk');
    clock = 3;
    await store.next();
    await first;
    expect(rests).toEqual([3]); // [a] took 3 ms (the test's clock): the lane rests
    // While the bulk lane rests, the store is idle and a person's write goes at once.
    const mine = queue.commit(unit('x'));
    await store.next();
    await mine;
    expect(store.batches).toEqual([['a'], ['x']]);
    await store.next();
    await second;
    expect(store.batches).toEqual([['a'], ['x'], ['b']]);
  });
});

describe('CommitQueue with a read model (values)', () => {
  it('takes no values while held, and a hold waits for values being taken', async () => {
    const store = new GatedStore();
    const valued: string[][] = [];
    let valuing: (() => void) | undefined;
    const queue = new CommitQueue(store, 10, {
      valuesOf: async (changes) => {
        valued.push(changes.map((c) => c.doc));
        if (changes.some((c) => c.doc === 'slow')) await new Promise<void>((r) => (valuing = r));
        return [];
      },
    });
    const release = await queue.holdValues();
    const a = queue.commit(unit('a'));
    await new Promise((r) => setTimeout(r, 10));
    expect(valued).toEqual([]); // held: memory may hold deltas in no queue yet
    release();
    await store.next();
    await a;
    expect(valued).toEqual([['a']]);
    // Values being taken when a hold is asked for: the hold waits for them.
    const slow = queue.commit(unit('slow'));
    while (valuing === undefined) await new Promise((r) => setImmediate(r));
    let held = false;
    const hold = queue.holdValues().then((r) => {
      held = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 10));
    expect(held).toBe(false);
    valuing();
    (await hold)();
    expect(held).toBe(true);
    await store.next();
    await slow;
  });

  it('a batch takes along the queued units of its documents, keeping each lane in order', async () => {
    const store = new GatedStore();
    const valued: string[][] = [];
    const queue = new CommitQueue(store, 2, {
      valuesOf: async (changes) => {
        valued.push(changes.map((c) => c.doc));
        return [];
      },
    });
    const bulk = ['a', 'b', 'c', 'x', 'd'].map((d) => queue.commit(unit(d), 'bulk'));
    await new Promise((r) => setImmediate(r)); // the bulk batch [a, b] is being written
    const mine = queue.commit(unit('x'), 'interactive');
    for (let i = 0; i < 3; i++) await store.next();
    await Promise.all([...bulk, mine]);
    // x's bulk unit joins the interactive one, with c queued before it in the bulk lane: no
    // value of x is written while a delta of x waits in a queue.
    expect(store.batches).toEqual([['a', 'b'], ['x', 'c', 'x'], ['d']]);
    expect(valued).toEqual(store.batches);
  });

  it('values wait for the batch in flight; after it failed, for its units’ handlers', async () => {
    const store = new GatedStore();
    let failNext = true;
    const fails = Object.assign(store, {
      async commit(batch: CommitBatch): Promise<number[]> {
        const seqs = GatedStore.prototype.commit.call(store, batch);
        if (!failNext) return seqs;
        failNext = false;
        await seqs;
        throw new Error('disk full');
      },
    });
    let evicted = false;
    let evictedWhenValued: boolean | undefined;
    const queue = new CommitQueue(fails, 10, {
      valuesOf: async (changes) => {
        if (changes.some((c) => c.doc === 'late')) evictedWhenValued = evicted;
        return [];
      },
    });
    const first = queue.commit(unit('a'), 'bulk').catch(async () => {
      await Promise.resolve(); // a handler a few microtasks deep, as MergeCore's are
      evicted = true;
    });
    await new Promise((r) => setImmediate(r)); // the bulk batch is being written
    const late = queue.commit(unit('late'), 'interactive');
    await store.next();
    await first;
    await store.next();
    await late;
    expect(evictedWhenValued).toBe(true);
  });
});
