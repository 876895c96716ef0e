import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FeedTail } from './feed-tail.js';
import type { NewChange, StoredChange } from './store/relay-store.js';

const REGION = 'us-east-1';

/** A commit as the store sees it: its changes, and whether it failed (landed or not). */
interface Commit {
  readonly origins: readonly ('own' | 'peer')[];
  readonly fails: boolean;
  /** For a failed commit: whether the store wrote it anyway (its reply was lost). */
  readonly landed: boolean;
}

const commitArb: fc.Arbitrary<Commit> = fc.record({
  origins: fc.array(fc.constantFrom('own' as const, 'peer' as const), { maxLength: 6 }),
  fails: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
  landed: fc.boolean(),
});

describe('FeedTail', () => {
  it('answers a feed read exactly as the store would, or not at all (property)', () => {
    fc.assert(
      fc.property(
        fc.array(commitArb, { maxLength: 40 }),
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 1, max: 12 }),
        fc.array(fc.tuple(fc.nat(80), fc.integer({ min: 1, max: 10 })), { minLength: 1 }),
        (commits, before, max, reads) => {
          // The store's rows, and its next seq: some changes were committed before the tail.
          const stored: StoredChange[] = [];
          let seq = 0;
          const write = (origin: string): StoredChange => {
            const change = { seq: ++seq, doc: `d${seq % 3}`, origin, delta: new Uint8Array([seq]) };
            stored.push(change);
            return change;
          };
          for (let i = 0; i < before; i++) write(REGION);
          const tail = new FeedTail(REGION, max);
          for (const commit of commits) {
            const changes: NewChange[] = commit.origins.map((o, i) => ({
              doc: `d${i}`,
              origin: o === 'own' ? REGION : 'eu-west-1',
              delta: new Uint8Array([i]),
            }));
            if (commit.fails) {
              if (commit.landed) for (const c of changes) write(c.origin);
              tail.record(changes, undefined);
            } else {
              const seqs = changes.map((c) => write(c.origin).seq);
              tail.record(changes, seqs);
            }
            for (const [after, limit] of reads) {
              const held = tail.read(after, limit);
              if (held === undefined) continue;
              const expected = stored
                .filter((c) => c.origin === REGION && c.seq > after)
                .slice(0, limit);
              expect(held.map((c) => c.seq)).toEqual(expected.map((c) => c.seq));
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('answers from its first commit on, and not below what it dropped to stay bounded', () => {
    const tail = new FeedTail(REGION, 2);
    const own = (doc: string): NewChange => ({ doc, origin: REGION, delta: new Uint8Array() });
    expect(tail.read(0, 10)).toBeUndefined();
    tail.record([own('a'), own('b')], [5, 6]);
    expect(tail.read(3, 10)).toBeUndefined(); // seqs 1-4 may be own changes of an earlier run
    expect(tail.read(4, 10)?.map((c) => c.seq)).toEqual([5, 6]);
    tail.record([own('c')], [9]);
    expect(tail.read(4, 10)).toBeUndefined(); // 5 was dropped
    expect(tail.read(5, 10)?.map((c) => c.seq)).toEqual([6, 9]);
    expect(tail.read(6, 1)?.map((c) => c.seq)).toEqual([9]);
    expect(tail.read(9, 10)).toEqual([]);
  });

  it('starts over after a failed commit or one recorded out of order', () => {
    const tail = new FeedTail(REGION);
    const own: NewChange = { doc: 'a', origin: REGION, delta: new Uint8Array() };
    tail.record([own], [3]);
    tail.record([own], undefined);
    expect(tail.read(2, 10)).toBeUndefined();
    tail.record([own], [7]);
    expect(tail.read(6, 10)?.map((c) => c.seq)).toEqual([7]);
    tail.record([own], [7]);
    expect(tail.read(6, 10)).toBeUndefined();
  });
});
