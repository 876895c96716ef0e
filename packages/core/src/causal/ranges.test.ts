/**
 * Model-based tests of the range-set primitives: every operation must agree with the same
 * operation on a plain `Set<number>`, and every result must be in canonical form (sorted,
 * disjoint, non-adjacent closed ranges of positive integers), which `rangesEqual` relies on.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Ranges,
  rangeIndexOf,
  rangesAddMut,
  rangesEqual,
  rangesHas,
  rangesInclude,
  rangesIntersect,
  rangesMax,
  rangesSize,
  rangesSubtract,
  rangesUnion,
} from './ranges.js';

const RUNS = 300;
/** Small universe, so that ranges overlap, touch and nest often. */
const TOP = 40;

/** The members of canonical ranges (and a check that they are canonical). */
function membersOf(r: readonly number[]): Set<number> {
  expect(r.length % 2, `odd length: ${r}`).toBe(0);
  const out = new Set<number>();
  for (let i = 0; i < r.length; i += 2) {
    const start = r[i]!;
    const end = r[i + 1]!;
    expect(Number.isInteger(start) && start >= 1, `bad start in ${r}`).toBe(true);
    expect(start <= end, `reversed range in ${r}`).toBe(true);
    // Non-adjacent: [1,2,3,4] must have been merged into [1,4].
    if (i > 0) expect(start > r[i - 1]! + 1, `ranges touch or overlap in ${r}`).toBe(true);
    for (let n = start; n <= end; n++) out.add(n);
  }
  return out;
}

/** The canonical ranges of a set, built independently of the code under test. */
function rangesOfSet(set: ReadonlySet<number>): Ranges {
  const sorted = [...set].sort((a, b) => a - b);
  const out: Ranges = [];
  for (const n of sorted) {
    if (out.length > 0 && out[out.length - 1] === n - 1) out[out.length - 1] = n;
    else out.push(n, n);
  }
  return out;
}

function sorted(set: ReadonlySet<number>): number[] {
  return [...set].sort((a, b) => a - b);
}

const setArb = fc
  .uniqueArray(fc.integer({ min: 1, max: TOP }), { maxLength: 30 })
  .map((xs) => new Set(xs));

/** Insertions of `[start, start + len]`, in any order. */
const insertionsArb = fc.array(
  fc.record({ start: fc.integer({ min: 1, max: TOP }), len: fc.nat({ max: 6 }) }),
  { maxLength: 15 },
);

describe('ranges', () => {
  it('rangesAddMut: any sequence of insertions gives the canonical ranges of their union', () => {
    fc.assert(
      fc.property(insertionsArb, (insertions) => {
        const r: Ranges = [];
        const model = new Set<number>();
        for (const { start, len } of insertions) {
          rangesAddMut(r, start, start + len);
          for (let n = start; n <= start + len; n++) model.add(n);
          expect(sorted(membersOf(r))).toEqual(sorted(model));
        }
        expect(r).toEqual(rangesOfSet(model));
      }),
      { numRuns: RUNS },
    );
  });

  it('rangesHas and rangeIndexOf agree with membership', () => {
    fc.assert(
      fc.property(setArb, (set) => {
        const r = rangesOfSet(set);
        const wrong: number[] = [];
        for (let n = 0; n <= TOP + 2; n++) {
          const i = rangeIndexOf(r, n);
          const found = i >= 0 && r[2 * i]! <= n && n <= r[2 * i + 1]!;
          if (rangesHas(r, n) !== set.has(n) || found !== set.has(n) || (i !== -1 && !found)) {
            wrong.push(n);
          }
        }
        expect(wrong, `wrong answers in ${r}`).toEqual([]);
      }),
      { numRuns: RUNS },
    );
  });

  it('rangesMax and rangesSize agree with the set', () => {
    fc.assert(
      fc.property(setArb, (set) => {
        const r = rangesOfSet(set);
        expect(rangesMax(r)).toBe(set.size === 0 ? 0 : Math.max(...set));
        expect(rangesSize(r)).toBe(set.size);
      }),
      { numRuns: RUNS },
    );
  });

  it('union, subtract and intersect agree with the set operations and keep their inputs', () => {
    fc.assert(
      fc.property(setArb, setArb, (a, b) => {
        const ra = rangesOfSet(a);
        const rb = rangesOfSet(b);
        const ca = ra.slice();
        const cb = rb.slice();
        const union = rangesUnion(ra, rb);
        const minus = rangesSubtract(ra, rb);
        const both = rangesIntersect(ra, rb);
        expect(sorted(membersOf(union))).toEqual(sorted(new Set([...a, ...b])));
        expect(sorted(membersOf(minus))).toEqual(sorted(a).filter((n) => !b.has(n)));
        expect(sorted(membersOf(both))).toEqual(sorted(a).filter((n) => b.has(n)));
        expect(ra).toEqual(ca);
        expect(rb).toEqual(cb);
        // Fresh arrays: changing a result must not reach an input.
        union.push(TOP + 10, TOP + 10);
        minus.push(TOP + 10, TOP + 10);
        expect(ra).toEqual(ca);
      }),
      { numRuns: RUNS },
    );
  });

  it('rangesInclude is the subset relation and rangesEqual is set equality', () => {
    fc.assert(
      fc.property(setArb, setArb, fc.boolean(), (a, b0, makeSubset) => {
        // Half the time derive b from a, so that inclusion actually occurs.
        const b = makeSubset ? new Set([...a].filter((n) => b0.has(n) || n % 2 === 0)) : b0;
        const ra = rangesOfSet(a);
        const rb = rangesOfSet(b);
        expect(rangesInclude(ra, rb)).toBe([...b].every((n) => a.has(n)));
        expect(rangesEqual(ra, rb)).toBe(a.size === b.size && [...a].every((n) => b.has(n)));
        expect(rangesInclude(ra, [])).toBe(true);
        expect(rangesInclude(ra, ra)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('union is commutative, associative and idempotent', () => {
    fc.assert(
      fc.property(setArb, setArb, setArb, (a, b, c) => {
        const [ra, rb, rc] = [rangesOfSet(a), rangesOfSet(b), rangesOfSet(c)];
        expect(rangesUnion(ra, rb)).toEqual(rangesUnion(rb, ra));
        expect(rangesUnion(rangesUnion(ra, rb), rc)).toEqual(rangesUnion(ra, rangesUnion(rb, rc)));
        expect(rangesUnion(ra, ra)).toEqual(ra);
        // (a \ b) ∪ (a ∩ b) = a
        expect(rangesUnion(rangesSubtract(ra, rb), rangesIntersect(ra, rb))).toEqual(ra);
      }),
      { numRuns: RUNS },
    );
  });
});
