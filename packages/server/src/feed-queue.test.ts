import type { FeedEntry } from '@helios/core/protocol';
import { describe, expect, it } from 'vitest';
import { FeedQueue } from './feed-queue.js';

/** A batch of `n` entries from seq `from`, covering `(from − 1, from + n − 1]`. */
function batch(from: number, n: number) {
  const entries: FeedEntry[] = Array.from({ length: n }, (_, i) => ({
    seq: from + i,
    doc: 'd',
    delta: new Uint8Array(),
  }));
  return { entries, range: { after: from - 1, last: from + n - 1 } };
}

describe('FeedQueue', () => {
  it('takes a batch with those queued behind it, in order, within the entry cap', () => {
    const queue = new FeedQueue();
    const [a, b, c, d] = [batch(1, 2), batch(3, 3), batch(6, 4), batch(10, 1)];
    for (const x of [a, b, c, d]) queue.push(x.entries, x.range);
    const taken = queue.take(a.entries, 9);
    expect(taken?.entries.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(taken?.ranges).toEqual([a.range, b.range, c.range]);
    expect(queue.batches).toEqual([d.entries]);
    // Taken with the first: its own turn finds nothing.
    expect(queue.take(b.entries, 9)).toBeUndefined();
  });

  it('takes a batch larger than the cap on its own', () => {
    const queue = new FeedQueue();
    const [a, b] = [batch(1, 5), batch(6, 1)];
    queue.push(a.entries, a.range);
    queue.push(b.entries, b.range);
    expect(queue.take(a.entries, 3)?.ranges).toEqual([a.range]);
    expect(queue.take(b.entries, 3)?.ranges).toEqual([b.range]);
  });

  it('forgets every batch on clear', () => {
    const queue = new FeedQueue();
    const a = batch(1, 1);
    queue.push(a.entries, a.range);
    queue.clear();
    expect(queue.batches).toEqual([]);
    expect(queue.take(a.entries)).toBeUndefined();
  });
});
