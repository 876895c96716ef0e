/**
 * Algebraic laws every delta-state CRDT must satisfy, checked for every type on states reached
 * by random histories (including states whose contexts have gaps, from deltas received out of
 * order). States in one property always come from the same history: two independent histories
 * reuse dots with different payloads, which no real deployment can produce.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HybridLogicalClock } from '../clock/hybrid-logical-clock.js';
import { DecodeError } from '../errors.js';
import {
  type AnyTypeCase,
  converge,
  type HistoryRun,
  historyArb,
  runHistory,
  shuffled,
  typeCases,
  wellFormednessProblems,
} from '../test-support/arbitraries.js';
import type { CrdtState } from './crdt-type.js';
import type { ClockedActor } from './lww.js';
import { decodeState, typeOfEncoded } from './registry.js';

const RUNS = 100;

type State = CrdtState<unknown>;

/**
 * The states a history went through, its deltas, the empty state, and joins of random subsets of
 * its deltas (states with gappy contexts, as a replica has after receiving deltas out of order):
 * all mutually consistent, so any two may be joined.
 */
function pool(c: AnyTypeCase, run: HistoryRun<unknown, unknown>, seed = 0): State[] {
  const subsets = [1, 2, 3].map((salt) => {
    const s = c.type.empty();
    const bits = (seed * salt) ^ (salt * 0x5bd1e995);
    run.ops.forEach((o, i) => {
      if (((bits >>> (i % 31)) & 1) === 1) c.type.merge(s, o.delta);
    });
    return s;
  });
  return [
    c.type.empty(),
    ...run.checkpoints.map((cp) => cp.state),
    ...run.ops.map((o) => o.delta),
    ...run.syncDeltas,
    ...subsets,
  ];
}

function pick<T>(items: readonly T[], i: number): T {
  return items[i % items.length]!;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function expectWellFormed(state: State): void {
  expect(wellFormednessProblems(state)).toEqual([]);
}

/** A history (with lossy syncs) and indexes of states drawn from it. */
function lawInput(c: AnyTypeCase) {
  return fc.record({
    history: historyArb(c.op, { lossy: true, maxSteps: 20 }),
    i: fc.nat(),
    j: fc.nat(),
    k: fc.nat(),
    seed: fc.nat(),
  });
}

describe.each(typeCases)('$name lattice laws', (c) => {
  const T = c.type;

  it('join is commutative', () => {
    fc.assert(
      fc.property(lawInput(c), ({ history, i, j, seed }) => {
        const states = pool(c, runHistory(c, history), seed);
        const a = pick(states, i);
        const b = pick(states, j);
        const ab = T.join(a, b);
        expect(T.equals(ab, T.join(b, a))).toBe(true);
        expect(T.value(ab)).toEqual(T.value(T.join(b, a)));
        expectWellFormed(ab);
      }),
      { numRuns: RUNS },
    );
  });

  it('join is associative', () => {
    fc.assert(
      fc.property(lawInput(c), ({ history, i, j, k, seed }) => {
        const states = pool(c, runHistory(c, history), seed);
        const a = pick(states, i);
        const b = pick(states, j);
        const d = pick(states, k);
        expect(T.equals(T.join(T.join(a, b), d), T.join(a, T.join(b, d)))).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('join is idempotent, has the empty state as identity, and is an upper bound', () => {
    fc.assert(
      fc.property(lawInput(c), ({ history, i, j, seed }) => {
        const states = pool(c, runHistory(c, history), seed);
        const a = pick(states, i);
        const b = pick(states, j);
        expect(T.equals(T.join(a, a), a)).toBe(true);
        expect(T.equals(T.join(a, T.empty()), a)).toBe(true);
        expect(T.equals(T.join(T.empty(), a), a)).toBe(true);
        const ab = T.join(a, b);
        // a <= a ⊔ b and b <= a ⊔ b: joining either again changes nothing.
        expect(T.equals(T.join(ab, a), ab)).toBe(true);
        expect(T.equals(T.join(ab, b), ab)).toBe(true);
        expect(ab.context.includes(a.context) && ab.context.includes(b.context)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('join and merge leave their arguments unchanged', () => {
    fc.assert(
      fc.property(lawInput(c), ({ history, i, j, seed }) => {
        const states = pool(c, runHistory(c, history), seed);
        const a = pick(states, i);
        const b = pick(states, j);
        const aBytes = T.encode(a);
        const bCopy = T.clone(b);
        const bBytes = T.encode(b);
        T.join(a, b);
        expect(sameBytes(T.encode(a), aBytes)).toBe(true);
        expect(sameBytes(T.encode(b), bBytes)).toBe(true);
        // merge changes only its target; mutating the target afterwards must not reach the delta
        // through shared containers.
        const target = T.clone(a);
        T.merge(target, b);
        T.merge(target, T.join(a, b));
        expect(T.equals(b, bCopy)).toBe(true);
        expect(sameBytes(T.encode(b), bBytes)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('a mutator returns a delta whose merge inflates the state, and leaves the state unchanged', () => {
    fc.assert(
      fc.property(
        lawInput(c),
        fc.nat(),
        c.op,
        fc.integer({ min: 0, max: 10_000 }),
        ({ history, i, seed }, who, op, dt) => {
          const run = runHistory(c, history);
          const s = pick(pool(c, run, seed), i);
          const replica = pick(run.replicas, who);
          const clock = new HybridLogicalClock({ replica, now: () => run.time + dt });
          const actor: ClockedActor = { replica, now: () => clock.now() };
          const copy = T.clone(s);
          const bytes = T.encode(s);
          const dot = s.context.next(replica);

          const delta = c.mutate(s, actor, op);

          expect(T.equals(s, copy)).toBe(true);
          expect(sameBytes(T.encode(s), bytes)).toBe(true);
          expectWellFormed(delta);
          // A delta claims only dots its writer has seen, plus the dots it mints (its replica's
          // next ones, without a gap; one for most writes): claiming any other would erase writes
          // the writer never observed.
          const minted = delta.context.subtract(copy.context);
          expect([...minted.replicas()].every((r) => r === replica)).toBe(true);
          const mintedRanges = minted.rangesOf(replica);
          expect(
            mintedRanges.length === 0 || (mintedRanges.length === 2 && mintedRanges[0] === dot.seq),
          ).toBe(true);

          const deltaCopy = T.clone(delta);
          const merged = T.clone(s);
          T.merge(merged, delta);
          expect(T.equals(merged, T.join(s, delta))).toBe(true);
          expect(T.equals(T.join(merged, s), merged)).toBe(true);
          expect(merged.context.includes(s.context)).toBe(true);
          expectWellFormed(merged);
          // Deltas are idempotent: a duplicated message changes nothing.
          const again = T.clone(merged);
          T.merge(again, delta);
          expect(T.equals(again, merged)).toBe(true);
          expect(T.equals(delta, deltaCopy)).toBe(true);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('join(r, deltaSince(s, digest(r))) equals join(r, s)', () => {
    fc.assert(
      fc.property(lawInput(c), ({ history, i, j }) => {
        const run = runHistory(c, history);
        const states = [c.type.empty(), ...run.checkpoints.map((cp) => cp.state), ...run.states];
        const r = pick(states, i);
        const s = pick(states, j);
        const sBytes = T.encode(s);
        const delta = T.deltaSince(s, T.digest(r));
        expect(sameBytes(T.encode(s), sBytes)).toBe(true);
        expectWellFormed(delta);
        expect(T.equals(T.join(r, delta), T.join(r, s))).toBe(true);
        // Nothing is missing from a replica that has everything.
        const none = T.deltaSince(s, T.digest(s));
        expect(none.context.isEmpty).toBe(true);
        expect(T.liveDots(none).isEmpty).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('merge says whether the store changed: exactly when the entries differ afterwards', () => {
    // Replicas skip notifying readers (and recomputing the value) when it says false.
    const seen = { changed: 0, unchanged: 0 };
    fc.assert(
      fc.property(lawInput(c), ({ history, i, j, seed }) => {
        const states = pool(c, runHistory(c, history), seed);
        const a = pick(states, i);
        const b = pick(states, j);
        for (const delta of [b, a, T.join(a, b)]) {
          const target = T.clone(a);
          const changed = T.merge(target, delta);
          expect(changed).toBe(!T.kind.equals(target.store, a.store));
          seen[changed ? 'changed' : 'unchanged']++;
        }
      }),
      { numRuns: RUNS },
    );
    // Both answers were exercised, not only the duplicate (`a` into itself) case.
    expect(seen.changed).toBeGreaterThan(RUNS / 4);
    expect(seen.unchanged).toBeGreaterThan(RUNS);
  });

  it('every state is the join of the deltas of the operations it has seen', () => {
    fc.assert(
      fc.property(historyArb(c.op, { maxSteps: 20 }), (history) => {
        const run = runHistory(c, history);
        run.states.forEach((state, at) => {
          const rebuilt = T.empty();
          for (const id of run.seen[at]!) T.merge(rebuilt, run.ops[id]!.delta);
          expect(T.equals(state, rebuilt)).toBe(true);
        });
      }),
      { numRuns: RUNS },
    );
  });

  it('replicas converge once every replica has merged every other', () => {
    fc.assert(
      fc.property(historyArb(c.op, { lossy: true, maxSteps: 20 }), fc.nat(), (history, seed) => {
        const run = runHistory(c, history);
        const all = converge(T, run.states);
        // Each replica merges the others in its own order; all must end equal.
        run.states.forEach((state, at) => {
          const order = shuffled([...run.states.keys()], seed + at);
          const mine = T.clone(state);
          for (const other of order) T.merge(mine, run.states[other]!);
          expect(T.equals(mine, all)).toBe(true);
          expect(T.value(mine)).toEqual(T.value(all));
        });
      }),
      { numRuns: RUNS },
    );
  });

  it('states and deltas survive an encode/decode round trip', () => {
    const other: AnyTypeCase = pick(typeCases, typeCases.indexOf(c) + 1);
    fc.assert(
      fc.property(historyArb(c.op, { lossy: true, maxSteps: 20 }), fc.nat(), (history, seed) => {
        const run = runHistory(c, history);
        const all = [...pool(c, run, seed), ...run.states];
        // A sample keeps the property fast; the seed varies which states are sampled.
        const sample = shuffled(all, seed).slice(0, 8).concat(run.states);
        for (const s of sample) {
          const bytes = T.encode(s);
          const back = T.decode(bytes);
          expect(T.equals(back, s)).toBe(true);
          expect(T.value(back)).toEqual(T.value(s));
          expectWellFormed(back);
          // The encoding is canonical: re-encoding the decoded state gives the same bytes.
          expect(sameBytes(T.encode(back), bytes)).toBe(true);
          const generic = decodeState(bytes);
          expect(generic.type.name).toBe(T.name);
          expect(generic.type).toBe(T);
          expect(T.equals(generic.state, s)).toBe(true);
          expect(typeOfEncoded(bytes).name).toBe(T.name);
          // Another type refuses the bytes rather than misreading them.
          let refused: unknown;
          try {
            other.type.decode(bytes);
          } catch (err) {
            refused = err;
          }
          expect(refused).toBeInstanceOf(DecodeError);
          expect((refused as DecodeError).code).toBe('wrong-type');
        }
      }),
      { numRuns: RUNS },
    );
  });
});

describe('history generator', () => {
  it('produces concurrency, gaps and out-of-order delta delivery', () => {
    // Guards against a generator that silently degenerates to sequential histories, which would
    // make every property above trivially true.
    let concurrent = 0;
    let gappy = 0;
    const c = typeCases.find((t) => t.name === 'AWSet')!;
    fc.assert(
      fc.property(historyArb(c.op, { lossy: true }), (history) => {
        const run = runHistory(c, history);
        const hasConcurrency = run.ops.some((a) =>
          run.ops.some((b) => a.id < b.id && !b.visible.has(a.id)),
        );
        if (hasConcurrency) concurrent++;
        const hasGap = pool(c, run, history.steps.length).some((state) =>
          run.replicas.some((r) => {
            const ranges = state.context.rangesOf(r);
            return ranges.length > 2 || (ranges.length === 2 && ranges[0] !== 1);
          }),
        );
        if (hasGap) gappy++;
      }),
      { numRuns: 200, seed: 42 },
    );
    expect(concurrent).toBeGreaterThan(100);
    expect(gappy).toBeGreaterThan(100);
  });
});
