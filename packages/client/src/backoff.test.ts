import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BACKOFF_FIRST_MS, BACKOFF_MAX_MS, backoffMs } from './backoff.js';

/** The step's upper bound, as the schedule documents it. */
const ceiling = (step: number) => Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** (step - 1));

describe('backoffMs', () => {
  it('waits within the upper half of a step that doubles from 250 ms up to 5 s', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (step, draw) => {
          const ms = backoffMs(step, () => draw);
          expect(ms).toBeGreaterThanOrEqual(ceiling(step) / 2);
          expect(ms).toBeLessThanOrEqual(ceiling(step));
        },
      ),
    );
    expect([1, 2, 3, 4, 5, 6, 7].map((step) => backoffMs(step, () => 0))).toEqual([
      250, 500, 1_000, 2_000, 4_000, 5_000, 5_000,
    ]);
  });

  it('spreads a crowd over the half step instead of sending it at once', () => {
    const delays = Array.from({ length: 1_000 }, () => backoffMs(3));
    expect(new Set(delays.map(Math.round)).size).toBeGreaterThan(400);
    const early = delays.filter((ms) => ms < 750).length;
    // Uniform over (500, 1000]: about half below 750 (1,000 draws: 500 ± 16, so 400–600 is 6σ).
    expect(early).toBeGreaterThan(400);
    expect(early).toBeLessThan(600);
  });
});
