/**
 * Model-based tests of CausalContext against a plain `Set<string>` of dots ("replica:seq"), and
 * lattice laws of VersionVector against a plain map of maxima.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CausalContext } from './causal-context.js';
import { type Dot, dotEquals } from './dot.js';
import { FOLD_REPLICA, newEpochReplicaId } from './replica-epoch.js';
import { VersionVector } from './version-vector.js';

const RUNS = 300;
const REPLICAS = ['a', 'b', '0a1b2c3d4e5f60'] as const;
const TOP = 24;

type Model = Set<string>;
const id = (replica: string, seq: number): string => `${replica}:${seq}`;

type Insertion = { readonly replica: string; readonly start: number; readonly len: number };

const insertionsArb = fc.array(
  fc.record({
    replica: fc.constantFrom(...REPLICAS),
    start: fc.integer({ min: 1, max: TOP }),
    len: fc.oneof(fc.constant(0), fc.nat({ max: 5 })),
  }),
  { maxLength: 12 },
);

/** Builds a context by single adds and range adds, and the model of the same dots. */
function build(insertions: readonly Insertion[]): { ctx: CausalContext; model: Model } {
  const ctx = new CausalContext();
  const model: Model = new Set();
  for (const { replica, start, len } of insertions) {
    if (len === 0) ctx.add(replica, start);
    else ctx.addRange(replica, start, start + len);
    for (let n = start; n <= start + len; n++) model.add(id(replica, n));
  }
  return { ctx, model };
}

/** The dots of `ctx`, enumerated through its public API, after checking its ranges are canonical. */
function modelOf(ctx: CausalContext): Model {
  const out: Model = new Set();
  for (const replica of ctx.replicas()) {
    const r = ctx.rangesOf(replica);
    expect(r.length, `replica ${replica} listed with no dots`).toBeGreaterThan(0);
    for (let i = 0; i < r.length; i += 2) {
      expect(r[i]! >= 1 && r[i]! <= r[i + 1]!).toBe(true);
      if (i > 0) expect(r[i]! > r[i - 1]! + 1, `ranges touch in ${ctx}`).toBe(true);
    }
  }
  for (const d of ctx.dots()) {
    expect(out.has(id(d.replica, d.seq)), `dot ${d.replica}:${d.seq} enumerated twice`).toBe(false);
    out.add(id(d.replica, d.seq));
  }
  return out;
}

function sameSet(a: Model, b: Model): boolean {
  return a.size === b.size && [...a].every((x) => b.has(x));
}

function subset(a: Model, b: Model): boolean {
  return [...a].every((x) => b.has(x));
}

function modelMax(model: Model, replica: string): number {
  let max = 0;
  for (let n = 1; n <= TOP + 10; n++) if (model.has(id(replica, n))) max = n;
  return max;
}

const contextArb = insertionsArb.map(build);

describe('CausalContext', () => {
  it('has, contains, max, next, size and dots agree with the model', () => {
    fc.assert(
      fc.property(contextArb, ({ ctx, model }) => {
        expect(sameSet(modelOf(ctx), model)).toBe(true);
        expect(ctx.size).toBe(model.size);
        expect(ctx.isEmpty).toBe(model.size === 0);
        for (const replica of [...REPLICAS, 'nobody']) {
          const wrong: number[] = [];
          for (let seq = 0; seq <= TOP + 7; seq++) {
            const expected = model.has(id(replica, seq));
            if (ctx.has(replica, seq) !== expected || ctx.contains({ replica, seq }) !== expected) {
              wrong.push(seq);
            }
          }
          expect(wrong, `has() wrong for ${replica} at these sequences`).toEqual([]);
          expect(ctx.max(replica)).toBe(modelMax(model, replica));
          expect(dotEquals(ctx.next(replica), { replica, seq: modelMax(model, replica) + 1 })).toBe(
            true,
          );
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('join adds the other context in place and leaves the other unchanged', () => {
    fc.assert(
      fc.property(contextArb, contextArb, (a, b) => {
        const before = b.ctx.clone();
        const result = a.ctx.join(b.ctx);
        expect(result).toBe(a.ctx);
        expect(sameSet(modelOf(a.ctx), new Set([...a.model, ...b.model]))).toBe(true);
        expect(b.ctx.equals(before)).toBe(true);
        // The join copied b's ranges: growing a afterwards must not grow b.
        a.ctx.addRange('a', 1, TOP + 5);
        expect(b.ctx.equals(before)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('subtract and intersect agree with the model and return independent contexts', () => {
    fc.assert(
      fc.property(contextArb, contextArb, (a, b) => {
        const aBefore = a.ctx.clone();
        const bBefore = b.ctx.clone();
        const minus = a.ctx.subtract(b.ctx);
        const both = a.ctx.intersect(b.ctx);
        expect(sameSet(modelOf(minus), new Set([...a.model].filter((x) => !b.model.has(x))))).toBe(
          true,
        );
        expect(sameSet(modelOf(both), new Set([...a.model].filter((x) => b.model.has(x))))).toBe(
          true,
        );
        minus.addRange('b', 1, TOP + 5);
        both.addRange('a', 1, TOP + 5);
        expect(a.ctx.equals(aBefore) && b.ctx.equals(bBefore)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('includes, compare and equals are subset, causal order and set equality', () => {
    fc.assert(
      fc.property(contextArb, contextArb, fc.nat({ max: 2 }), (a, b0, relation) => {
        // Derive b from a a third of the time each, so that every order actually occurs.
        const b =
          relation === 0
            ? b0
            : {
                ctx: a.ctx.intersect(b0.ctx),
                model: new Set([...a.model].filter((x) => b0.model.has(x))),
              };
        if (relation === 2) {
          b.ctx.join(a.ctx).join(b0.ctx);
          for (const x of [...a.model, ...b0.model]) b.model.add(x);
        }
        const aInB = subset(a.model, b.model);
        const bInA = subset(b.model, a.model);
        expect(a.ctx.includes(b.ctx)).toBe(bInA);
        expect(a.ctx.equals(b.ctx)).toBe(aInB && bInA);
        const expected = aInB && bInA ? 'equal' : aInB ? 'before' : bInA ? 'after' : 'concurrent';
        expect(a.ctx.compare(b.ctx)).toBe(expected);
      }),
      { numRuns: RUNS },
    );
  });

  it('equals does not depend on how a context was built', () => {
    fc.assert(
      fc.property(insertionsArb, fc.nat(), (insertions, seed) => {
        const { ctx, model } = build(insertions);
        // The same dots added one by one, in another order, and through CausalContext.of.
        const dots: Dot[] = [...model].map((x) => {
          const at = x.lastIndexOf(':');
          return { replica: x.slice(0, at), seq: Number(x.slice(at + 1)) };
        });
        const rotated = dots
          .slice(seed % (dots.length || 1))
          .concat(dots.slice(0, seed % (dots.length || 1)));
        const other = new CausalContext();
        for (const d of rotated.reverse()) other.add(d.replica, d.seq);
        expect(other.equals(ctx)).toBe(true);
        expect(CausalContext.of(dots).equals(ctx)).toBe(true);
        expect(ctx.clone().equals(ctx)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('clone is independent of the original', () => {
    fc.assert(
      fc.property(
        contextArb,
        fc.constantFrom(...REPLICAS),
        fc.integer({ min: 1, max: TOP }),
        (a, replica, seq) => {
          const copy = a.ctx.clone();
          copy.add(replica, seq).addRange(replica, seq + 2, seq + 4);
          expect(sameSet(modelOf(a.ctx), a.model)).toBe(true);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('versionVector is the gap-free prefix per replica, and fromVersionVector inverts it', () => {
    fc.assert(
      fc.property(contextArb, ({ ctx, model }) => {
        const vv = ctx.versionVector();
        for (const replica of REPLICAS) {
          let prefix = 0;
          while (model.has(id(replica, prefix + 1))) prefix++;
          expect(vv.get(replica)).toBe(prefix);
        }
        const back = CausalContext.fromVersionVector(vv);
        expect(ctx.includes(back)).toBe(true);
        expect(back.versionVector().compare(vv)).toBe('equal');
        // A context is exactly its version vector iff it has no gaps.
        const gapFree = [...REPLICAS].every((r) => ctx.max(r) === vv.get(r));
        expect(back.equals(ctx)).toBe(gapFree);
      }),
      { numRuns: RUNS },
    );
  });
});

// ---------------------------------------------------------------------------------------------

type VvModel = Map<string, number>;
const vvArb = fc
  .array(fc.tuple(fc.constantFrom(...REPLICAS), fc.nat({ max: 6 })), { maxLength: 6 })
  .map((entries) => {
    const model: VvModel = new Map();
    for (const [r, n] of entries) model.set(r, Math.max(model.get(r) ?? 0, n));
    return { vv: new VersionVector(entries), model };
  });

const at = (m: VvModel, r: string): number => m.get(r) ?? 0;

function sameVv(v: VersionVector, m: VvModel): boolean {
  return (
    REPLICAS.every((r) => v.get(r) === at(m, r)) &&
    v.size === [...m.values()].filter((n) => n > 0).length
  );
}

describe('VersionVector', () => {
  it('advance keeps maxima and ignores zero', () => {
    fc.assert(
      fc.property(vvArb, ({ vv, model }) => {
        expect(sameVv(vv, model)).toBe(true);
        expect(Object.fromEntries([...vv])).toEqual(vv.toJSON());
        for (const [, n] of vv) expect(n).toBeGreaterThan(0);
      }),
      { numRuns: RUNS },
    );
  });

  it('join is the pointwise maximum; meet is the pointwise minimum', () => {
    fc.assert(
      fc.property(vvArb, vvArb, (a, b) => {
        const joined = a.vv.clone().join(b.vv);
        const met = a.vv.meet(b.vv);
        for (const r of REPLICAS) {
          expect(joined.get(r)).toBe(Math.max(at(a.model, r), at(b.model, r)));
          expect(met.get(r)).toBe(Math.min(at(a.model, r), at(b.model, r)));
        }
        // clone + join left a unchanged.
        expect(sameVv(a.vv, a.model)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('join and meet are commutative, associative, idempotent and absorb each other', () => {
    fc.assert(
      fc.property(vvArb, vvArb, vvArb, ({ vv: a }, { vv: b }, { vv: c }) => {
        const join = (x: VersionVector, y: VersionVector) => x.clone().join(y);
        expect(join(a, b).compare(join(b, a))).toBe('equal');
        expect(join(join(a, b), c).compare(join(a, join(b, c)))).toBe('equal');
        expect(join(a, a).compare(a)).toBe('equal');
        expect(a.meet(b).compare(b.meet(a))).toBe('equal');
        expect(
          a
            .meet(b)
            .meet(c)
            .compare(a.meet(b.meet(c))),
        ).toBe('equal');
        expect(a.meet(a).compare(a)).toBe('equal');
        expect(join(a, a.meet(b)).compare(a)).toBe('equal');
        expect(a.meet(join(a, b)).compare(a)).toBe('equal');
      }),
      { numRuns: RUNS },
    );
  });

  it('dominates and compare are the pointwise order, as for the equivalent contexts', () => {
    fc.assert(
      fc.property(vvArb, vvArb, fc.boolean(), (a, b0, derive) => {
        // Deriving b from a half the time makes 'before' and 'equal' frequent.
        const b = { vv: derive ? a.vv.meet(b0.vv) : b0.vv };
        const aDomB = REPLICAS.every((r) => a.vv.get(r) >= b.vv.get(r));
        const bDomA = REPLICAS.every((r) => b.vv.get(r) >= a.vv.get(r));
        expect(a.vv.dominates(b.vv)).toBe(aDomB);
        const expected =
          aDomB && bDomA ? 'equal' : bDomA ? 'before' : aDomB ? 'after' : 'concurrent';
        expect(a.vv.compare(b.vv)).toBe(expected);
        const ca = CausalContext.fromVersionVector(a.vv);
        const cb = CausalContext.fromVersionVector(b.vv);
        expect(ca.compare(cb)).toBe(expected);
        // The join dominates both, and both dominate the meet.
        const joined = a.vv.clone().join(b.vv);
        expect(joined.dominates(a.vv) && joined.dominates(b.vv)).toBe(true);
        expect(a.vv.dominates(a.vv.meet(b.vv)) && b.vv.dominates(a.vv.meet(b.vv))).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('CausalContext with a retirement frontier', () => {
  const EPOCH_IDS = [0, 1, 2, 3].map((e) => newEpochReplicaId(e, () => new Uint8Array(8).fill(e)));
  const ALL = [...EPOCH_IDS, 'plain'];
  const arb = fc.record({
    frontier: fc.integer({ min: 0, max: 4 }),
    dots: fc.array(
      fc.record({ replica: fc.constantFrom(...ALL), seq: fc.integer({ min: 1, max: 6 }) }),
      { maxLength: 12 },
    ),
  });
  /** Membership as the frontier defines it: listed, or of a replica of an epoch below it. */
  type Spec = { frontier: number; dots: { replica: string; seq: number }[] };
  const has = (s: Spec, replica: string, seq: number): boolean =>
    (s.frontier > 0 &&
      EPOCH_IDS.indexOf(replica) >= 0 &&
      EPOCH_IDS.indexOf(replica) < s.frontier) ||
    (replica === FOLD_REPLICA && seq <= s.frontier) ||
    s.dots.some((d) => d.replica === replica && d.seq === seq);
  const build = (s: Spec): CausalContext => {
    const ctx = CausalContext.of(s.dots);
    return s.frontier > 0 ? ctx.addRange(FOLD_REPLICA, 1, s.frontier) : ctx;
  };
  const probes = [...ALL, FOLD_REPLICA].flatMap((r) =>
    [1, 2, 3, 4, 5, 6, 7].map((q) => [r, q] as const),
  );

  it('answers, joins, meets and compares by the dots it holds', () => {
    fc.assert(
      fc.property(arb, arb, (a, b) => {
        const x = build(a);
        const y = build(b);
        const joined = x.clone().join(y);
        const met = x.intersect(y);
        const diff = x.subtract(y);
        for (const [r, q] of probes) {
          expect(x.has(r, q)).toBe(has(a, r, q));
          expect(joined.has(r, q)).toBe(has(a, r, q) || has(b, r, q));
          expect(met.has(r, q)).toBe(has(a, r, q) && has(b, r, q));
          // A difference may hold dots of the other too (a higher frontier retires whole
          // epochs), never a dot this context lacks, and never misses one the other lacks.
          if (has(a, r, q) && !has(b, r, q)) expect(diff.has(r, q)).toBe(true);
          if (!has(a, r, q)) expect(diff.has(r, q)).toBe(false);
        }
        const aInB = probes.every(([r, q]) => !has(a, r, q) || has(b, r, q));
        if (y.includes(x)) expect(aInB).toBe(true);
        const shared = probes.some(([r, q]) => has(a, r, q) && has(b, r, q));
        expect(x.overlaps(y)).toBe(shared);
        // Retired replicas are not listed: their ids do not stay in the context.
        for (const r of joined.replicas()) expect(joined.isRetired(r)).toBe(false);
      }),
      { numRuns: RUNS },
    );
  });
});
