import type { FeedBatch, FeedEntry } from '@helios/core/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FeedOrder, FeedProgress, type FeedRange } from './feed-order.js';

const entry = (seq: number): FeedEntry => ({ seq, doc: 'd', delta: new Uint8Array([seq % 256]) });
const batch = (after: number, seqs: readonly number[]): FeedBatch => ({
  kind: 'feed-batch',
  after,
  entries: seqs.map(entry),
});

/**
 * A feed (increasing seqs with skips) cut into batches the way a FeedStream cuts it, from
 * position `from`: each batch's `after` is the last seq of the one before.
 */
function cut(seqs: readonly number[], from: number, cuts: readonly number[]): FeedBatch[] {
  const ends = [...new Set(cuts.map((c) => c % seqs.length))].sort((a, b) => a - b);
  if (ends[ends.length - 1] !== seqs.length - 1) ends.push(seqs.length - 1);
  const batches: FeedBatch[] = [];
  let start = 0;
  let after = from;
  for (const end of ends) {
    const part = seqs.slice(start, end + 1);
    batches.push(batch(after, part));
    after = part[part.length - 1]!;
    start = end + 1;
  }
  return batches;
}

/** A feed after position `from`: its seqs, increasing, with skips of up to 3. */
const feed = fc
  .record({
    from: fc.nat(20),
    steps: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 40 }),
  })
  .map(({ from, steps }) => {
    let seq = from;
    return { from, seqs: steps.map((s) => (seq += s)) };
  });

/** The oracle: positions covered one by one, the prefix the first one not covered. */
class Positions {
  readonly #covered = new Set<number>();
  readonly #from: number;
  constructor(from: number) {
    this.#from = from;
  }
  add({ after, last }: FeedRange): void {
    for (let p = after + 1; p <= last; p++) this.#covered.add(p);
  }
  covers(p: number): boolean {
    return p <= this.#from || this.#covered.has(p);
  }
  get contiguous(): number {
    let p = this.#from;
    while (this.#covered.has(p + 1)) p++;
    return p;
  }
  /** Runs of covered positions past the prefix. */
  get gaps(): number {
    const past = [...this.#covered].filter((p) => p > this.contiguous).sort((a, b) => a - b);
    return past.filter((p, i) => i === 0 || past[i - 1] !== p - 1).length;
  }
}

const rangeOfBatch = (b: FeedBatch): FeedRange => ({
  after: b.after,
  last: b.entries[b.entries.length - 1]!.seq,
});

describe('FeedOrder', () => {
  it('tells seqs the feed skips from a batch not received yet', () => {
    // The feed holds 1, 2 and 5: 3 and 4 went to changes merged from peers.
    const order = new FeedOrder(0);
    expect(order.take(batch(2, [5]))).toEqual([entry(5)]);
    expect(order.contiguous).toBe(0); // (0, 2] has not come: a gap
    expect(order.ahead).toEqual([{ after: 2, last: 5 }]);
    expect(order.take(batch(0, [1, 2]))).toEqual([entry(1), entry(2)]);
    expect(order.contiguous).toBe(5); // 3 and 4 are skips inside (2, 5]
    expect(order.ahead).toEqual([]);
    expect(order.take(batch(2, [5]))).toBe('covered');
  });

  it('keeps the new entries of a batch that overlaps what it has, and its range', () => {
    const order = new FeedOrder(10);
    expect(order.take(batch(20, [21, 22]))).toHaveLength(2);
    // Resent after a new request, cut differently: 21 and 22 again, with 15 and 23.
    expect(order.take(batch(10, [15, 21, 22, 23]))).toEqual([entry(15), entry(23)]);
    expect(order.contiguous).toBe(23);
  });

  it('refuses a range past more than maxGaps gaps, changing nothing', () => {
    const order = new FeedOrder(0, 2);
    expect(order.add({ after: 1, last: 2 })).toBe('added');
    expect(order.add({ after: 3, last: 4 })).toBe('added');
    expect(order.add({ after: 5, last: 6 })).toBe('full');
    expect(order.covers(6)).toBe(false);
    expect(order.add({ after: 2, last: 3 })).toBe('added'); // joins the two: one range
    expect(order.ahead).toEqual([{ after: 1, last: 4 }]);
    expect(order.add({ after: 5, last: 6 })).toBe('added');
    expect(order.add({ after: 0, last: 1 })).toBe('added');
    expect(order.contiguous).toBe(4);
    expect(order.add({ after: 4, last: 5 })).toBe('added');
    expect([order.contiguous, order.ahead]).toEqual([6, []]);
  });

  it('property: any arrival order, with duplicates and resends cut otherwise, gives the exact contiguous prefix', () => {
    fc.assert(
      fc.property(
        feed,
        fc.array(fc.nat(), { maxLength: 20 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 80 }),
        ({ from, seqs }, cutsA, cutsB, picks) => {
          // Two cuts of the same feed (a first send, and a resend after a new request), some of
          // whose batches arrive, in any order, some more than once.
          const sent = [...cut(seqs, from, cutsA), ...cut(seqs, from, cutsB)];
          const order = new FeedOrder(from, Number.POSITIVE_INFINITY);
          const oracle = new Positions(from);
          const taken = new Set<number>();
          for (const pick of picks) {
            const b = sent[pick % sent.length]!;
            const before = order.contiguous;
            const fresh = order.take(b);
            oracle.add(rangeOfBatch(b));
            for (const e of Array.isArray(fresh) ? fresh : []) {
              expect(taken.has(e.seq)).toBe(false); // each entry taken once
              taken.add(e.seq);
            }
            expect(order.contiguous).toBe(oracle.contiguous);
            expect(order.contiguous).toBeGreaterThanOrEqual(before);
            expect(order.ahead).toHaveLength(oracle.gaps);
            for (let p = from; p <= seqs[seqs.length - 1]! + 1; p++) {
              expect(order.covers(p)).toBe(oracle.covers(p));
            }
          }
          // Every entry in a covered position was taken: nothing is skipped as a duplicate
          // that never came.
          for (const seq of seqs) expect(taken.has(seq)).toBe(oracle.covers(seq));
        },
      ),
    );
  });

  it('property: past maxGaps it answers full and keeps what it had', () => {
    fc.assert(
      fc.property(
        feed,
        fc.array(fc.nat(), { maxLength: 20 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 4 }),
        ({ from, seqs }, cuts, picks, maxGaps) => {
          const sent = cut(seqs, from, cuts);
          const order = new FeedOrder(from, maxGaps);
          for (const pick of picks) {
            const b = sent[pick % sent.length]!;
            const [contiguous, ahead] = [order.contiguous, order.ahead];
            if (order.take(b) === 'full') {
              expect([order.contiguous, order.ahead]).toEqual([contiguous, ahead]);
            }
            expect(order.ahead.length).toBeLessThanOrEqual(maxGaps);
          }
        },
      ),
    );
  });
});

describe('FeedProgress', () => {
  it('moves the merged prefix only over what was merged, not what was received', () => {
    const progress = new FeedProgress(0);
    const [first, second, third] = [batch(0, [1, 2]), batch(2, [3]), batch(3, [4, 6])];
    expect(progress.receive(third)).toHaveLength(2);
    expect(progress.receive(first)).toHaveLength(2);
    expect(progress.receive(first)).toBe('covered');
    expect(progress.merging(rangeOfBatch(third))).toBe(0);
    expect(progress.merging(rangeOfBatch(first))).toBe(2);
    // Received, not merged yet: (2, 3] is still a gap for the cursor.
    expect(progress.receive(second)).toHaveLength(1);
    expect(progress.merging()).toBe(2);
    expect(progress.merging(rangeOfBatch(second))).toBe(6);
  });
});
