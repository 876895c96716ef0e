import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ConflictWrite } from './source.js';
import { whyWon } from './why-won.js';

const stamp = fc.record({
  replica: fc.constantFrom('r1', 'r2', 'r10'),
  wall: fc.integer({ min: 0, max: 3 }),
  counter: fc.integer({ min: 0, max: 3 }),
});

/** The order LWW uses (`compareTimestamps` of `@helios/core`). */
function compare(a: ConflictWrite, b: ConflictWrite): number {
  if (a.wall !== b.wall) return a.wall - b.wall;
  if (a.counter !== b.counter) return a.counter - b.counter;
  return a.replica === b.replica ? 0 : a.replica < b.replica ? -1 : 1;
}

describe('whyWon', () => {
  it('names the first of wall clock, counter, replica id that decides', () => {
    const w = { replica: 'r2', wall: 10, counter: 0 };
    expect(whyWon(w, { replica: 'r9', wall: 4, counter: 7 })).toBe(
      'later wall clock: 10 > 4 (+6 ms)',
    );
    expect(whyWon({ ...w, counter: 2 }, { ...w, replica: 'r9', counter: 1 })).toBe(
      'same wall clock, higher counter: 2 > 1',
    );
    expect(whyWon(w, { ...w, replica: 'r10' })).toBe(
      'same timestamp, greater replica id: r2 > r10',
    );
  });

  it('never explains a win that LWW would not have given', () => {
    fc.assert(
      fc.property(stamp, stamp, (winner, loser) => {
        const why = whyWon(winner, loser);
        const inconsistent = why.startsWith('not later') || why.includes('the same write');
        expect(inconsistent).toBe(compare(winner, loser) <= 0);
      }),
    );
  });
});
