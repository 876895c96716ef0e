import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ReplicaId } from '../causal/replica-id.js';
import { ByteWriter } from '../codec/byte-writer.js';
import { DecodeError, InvalidArgumentError, isTransientRule, ValidationError } from '../errors.js';
import { validateDelta } from '../validation/validate-delta.js';
import {
  BoundedCounter,
  type BoundedCounterState,
  type BoundedEntry,
  boundedCounter,
  InsufficientRightsError,
} from './bounded-counter.js';
import { PNCounter } from './counter.js';
import { decodeState } from './registry.js';
import { TypeIds } from './type-ids.js';

const A = { replica: 'aaaaaaaaaaaaaa' };
const B = { replica: 'bbbbbbbbbbbbbb' };
const C = { replica: 'cccccccccccccc' };

/** Applies a mutator's delta to `state` and returns the delta. */
function apply(
  state: BoundedCounterState,
  mutate: (s: BoundedCounterState) => BoundedCounterState,
): BoundedCounterState {
  const delta = mutate(state);
  BoundedCounter.merge(state, delta);
  return delta;
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof Error && 'code' in err) return String(err.code);
    throw err;
  }
  return undefined;
}

describe('BoundedCounter', () => {
  it('starts at its bound; increments give the incrementing replica rights', () => {
    const s = BoundedCounter.empty();
    expect(BoundedCounter.value(s)).toBe(0);
    apply(s, (x) => BoundedCounter.increment(x, A, 5));
    expect(BoundedCounter.value(s)).toBe(5);
    expect(BoundedCounter.localRights(s, A.replica)).toBe(5);
    expect(BoundedCounter.localRights(s, B.replica)).toBe(0);
    const below = boundedCounter(-3);
    expect(below.value(below.empty())).toBe(-3);
    expect(boundedCounter(-3)).toBe(below);
  });

  it('refuses a decrement beyond the rights with insufficient-rights, returning no delta', () => {
    const s = BoundedCounter.empty();
    apply(s, (x) => BoundedCounter.increment(x, A, 2));
    const before = BoundedCounter.clone(s);
    let error: unknown;
    try {
      BoundedCounter.decrement(s, A, 3);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(InsufficientRightsError);
    expect((error as InsufficientRightsError).code).toBe('insufficient-rights');
    expect((error as InsufficientRightsError).available).toBe(2);
    expect((error as InsufficientRightsError).requested).toBe(3);
    // B sees A's increment but holds none of it.
    expect(codeOf(() => BoundedCounter.decrement(s, B))).toBe('insufficient-rights');
    expect(BoundedCounter.equals(s, before)).toBe(true);
    apply(s, (x) => BoundedCounter.decrement(x, A, 2));
    expect(BoundedCounter.value(s)).toBe(0);
  });

  it('moves rights with transfer: the giver loses them, the recipient may spend them', () => {
    const a = BoundedCounter.empty();
    const b = BoundedCounter.empty();
    const stock = apply(a, (x) => BoundedCounter.increment(x, A, 10));
    const gift = apply(a, (x) => BoundedCounter.transfer(x, A, B.replica, 4));
    expect(BoundedCounter.value(a)).toBe(10);
    expect(BoundedCounter.localRights(a, A.replica)).toBe(6);
    expect(codeOf(() => BoundedCounter.transfer(a, A, C.replica, 7))).toBe('insufficient-rights');
    expect(codeOf(() => BoundedCounter.decrement(b, B))).toBe('insufficient-rights');
    BoundedCounter.merge(b, gift); // the transfer alone gives the rights
    expect(BoundedCounter.localRights(b, B.replica)).toBe(4);
    apply(b, (x) => BoundedCounter.decrement(x, B, 4));
    // The increment behind them has not arrived: B shows the bound until it does.
    expect(BoundedCounter.value(b)).toBe(0);
    BoundedCounter.merge(b, stock);
    expect(BoundedCounter.value(b)).toBe(6);
    // A second gift to the same replica adds to the first.
    apply(a, (x) => BoundedCounter.transfer(x, A, B.replica, 1));
    expect(BoundedCounter.localRights(a, B.replica)).toBe(5);
  });

  it('shows SQL its value and its bound', () => {
    const stock = boundedCounter(-5);
    const state = stock.empty();
    stock.merge(state, stock.increment(state, A, 3));
    expect(stock.toJson(state)).toEqual({ value: -2, bound: -5 });
  });

  it('refuses bad arguments with invalid-argument', () => {
    const s = BoundedCounter.empty();
    apply(s, (x) => BoundedCounter.increment(x, A, 3));
    expect(codeOf(() => BoundedCounter.transfer(s, A, A.replica, 1))).toBe('invalid-argument');
    expect(codeOf(() => BoundedCounter.transfer(s, A, '', 1))).toBe('invalid-argument');
    expect(codeOf(() => BoundedCounter.decrement(s, A, 0))).toBe('invalid-argument');
    expect(codeOf(() => BoundedCounter.increment(s, A, 1.5))).toBe('invalid-argument');
    expect(() => boundedCounter(2 ** 53)).toThrow(InvalidArgumentError);
  });

  it('never shows less than the bound when a decrement arrives before the rights it spent', () => {
    const a = BoundedCounter.empty();
    const b = BoundedCounter.empty();
    const c = BoundedCounter.empty();
    apply(a, (x) => BoundedCounter.increment(x, A, 5));
    const gift = apply(a, (x) => BoundedCounter.transfer(x, A, B.replica, 5));
    BoundedCounter.merge(b, gift);
    const spend = apply(b, (x) => BoundedCounter.decrement(x, B, 5));
    BoundedCounter.merge(c, spend); // C has nothing of A's yet
    expect(BoundedCounter.localRights(c, B.replica)).toBe(-5);
    expect(BoundedCounter.value(c)).toBe(0); // not -5: B's spending waits for the rights behind it
    BoundedCounter.merge(c, gift);
    expect(BoundedCounter.localRights(c, B.replica)).toBe(0);
    expect(BoundedCounter.value(c)).toBe(0);
    const more = apply(a, (x) => BoundedCounter.increment(x, A, 2));
    BoundedCounter.merge(c, more);
    expect(BoundedCounter.value(c)).toBe(2);
  });

  it('encodes its bound: a state decodes only as the counter of the same bound', () => {
    for (const lower of [0, -1, 7, -(2 ** 52 - 1)]) {
      const T = boundedCounter(lower);
      const s = T.empty();
      apply(s, (x) => T.increment(x, A, 3));
      const bytes = T.encode(s);
      const decoded = decodeState(bytes);
      expect(decoded.type).toBe(T);
      expect(decoded.type.value(decoded.state)).toBe(lower + 3);
      const other = boundedCounter(lower + 1);
      expect(codeOf(() => other.decode(bytes))).toBe('wrong-type');
    }
  });

  it('a transfer costs its recipient id and amount on the wire', () => {
    const s = BoundedCounter.empty();
    const inc = apply(s, (x) => BoundedCounter.increment(x, A, 1));
    const gift = apply(s, (x) => BoundedCounter.transfer(x, A, B.replica, 1));
    const pn = PNCounter.encode(PNCounter.increment(PNCounter.empty(), A, 1));
    // The bound and the entry's part: two bytes more than a PN-Counter's 16.
    expect(BoundedCounter.encode(inc).length).toBe(pn.length + 2);
    // In place of the totals (two bytes): the recipient (a string: 14 bytes and its length) and
    // the amount.
    expect(BoundedCounter.encode(gift).length).toBe(pn.length + 2 + 14);
  });

  it('a write carries only the part it changes, however many replicas were given rights', () => {
    const s = BoundedCounter.empty();
    apply(s, (x) => BoundedCounter.increment(x, A, 1_000));
    const sizes = new Set<number>();
    for (let i = 0; i < 300; i++) {
      const to = `client-${String(i).padStart(7, '0')}`;
      sizes.add(
        BoundedCounter.encode(apply(s, (x) => BoundedCounter.transfer(x, A, to, 1))).length,
      );
    }
    // Seqs grow past one byte once; nothing else grows.
    expect(sizes.size).toBeLessThanOrEqual(2);
    expect(Math.max(...sizes)).toBeLessThan(60);
    const sale = apply(s, (x) => BoundedCounter.decrement(x, A, 1));
    expect(BoundedCounter.encode(sale).length).toBeLessThan(30);
    expect(BoundedCounter.localRights(s, A.replica)).toBe(1_000 - 300 - 1);
    expect(BoundedCounter.localRights(s, 'client-0000299')).toBe(1);
    expect(BoundedCounter.rightsByReplica(s).size).toBe(301);
    // The state: the totals and one entry per recipient.
    expect(s.store).toHaveLength(301);
  });

  it('the decoder refuses a part it does not know, an empty recipient, and zero rights given', () => {
    const forged = (value: BoundedEntry): Uint8Array => {
      const state = BoundedCounter.empty();
      state.context.add(A.replica, 1);
      state.store = [{ ...A, seq: 1, value }];
      return BoundedCounter.encode(state);
    };
    const ok = forged({ kind: 'given', to: 'c', amount: 2 });
    expect(BoundedCounter.localRights(BoundedCounter.decode(ok), 'c')).toBe(2);
    const refused = (bytes: Uint8Array): string | undefined => {
      try {
        BoundedCounter.decode(bytes);
      } catch (err) {
        expect(err).toBeInstanceOf(DecodeError);
        return (err as DecodeError).code;
      }
      return undefined;
    };
    expect(refused(forged({ kind: 'given', to: 'b', amount: 0 }))).toBe('invariant');
    expect(refused(forged({ kind: 'given', to: '', amount: 1 }))).toBe('invariant');
    // The totals entry ends the bytes: its tag (0), p (9) and n (0). Tag 2 names no part.
    const totals = forged({ kind: 'totals', p: 9, n: 0 });
    expect([...totals.subarray(-3)]).toEqual([0, 9, 0]);
    totals[totals.length - 3] = 2;
    expect(refused(totals)).toBe('invariant');
    const w = new ByteWriter();
    w.u8((1 << 6) | TypeIds.boundedCounter);
    w.uint(2 ** 53 - 1); // a bound of -2^52: out of range
    expect(codeOf(() => decodeState(w.finish()))).toBe('invariant');
  });

  it('refuses the retired first format (type id 10), saying what it was', () => {
    const w = new ByteWriter();
    w.u8((1 << 6) | 10);
    w.uint(0);
    let error: unknown;
    try {
      decodeState(w.finish());
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(DecodeError);
    expect((error as DecodeError).code).toBe('unknown-type');
    expect((error as DecodeError).message).toMatch(/retired.*Bounded Counter's first format/);
  });
});

describe('BoundedCounter admission', () => {
  const rules = (replica: ReplicaId) => ({ replicas: new Set([replica]), now: () => 0 });

  it('refuses a delta that spends rights the writer does not hold here', () => {
    const relay = BoundedCounter.empty();
    const mallory = BoundedCounter.empty();
    BoundedCounter.merge(
      relay,
      apply(mallory, (x) => BoundedCounter.increment(x, C, 2)),
    );
    // A hand-made decrement past the rights: the mutator would refuse it.
    const next = mallory.context.next(C.replica);
    const forged: BoundedCounterState = BoundedCounter.empty();
    forged.context.add(C.replica, 1).add(next.replica, next.seq);
    forged.store = [{ ...C, seq: next.seq, value: { kind: 'totals', p: 2, n: 3 } }];
    const error = (() => {
      try {
        validateDelta(BoundedCounter, relay, forged, rules(C.replica));
      } catch (err) {
        return err;
      }
    })();
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).rule).toBe('insufficient-rights');
    // Within its rights it passes.
    forged.store = [{ ...C, seq: next.seq, value: { kind: 'totals', p: 2, n: 1 } }];
    expect(validateDelta(BoundedCounter, relay, forged, rules(C.replica))).toBe('write');
    // Giving away rights it does not hold is the same; a gift replaces no totals.
    const gift: BoundedCounterState = BoundedCounter.empty();
    gift.context.add(next.replica, next.seq);
    gift.store = [{ ...C, seq: next.seq, value: { kind: 'given', to: 'x', amount: 3 } }];
    expect(codeOf(() => validateDelta(BoundedCounter, relay, gift, rules(C.replica)))).toBe(
      'insufficient-rights',
    );
    gift.store = [{ ...C, seq: next.seq, value: { kind: 'given', to: 'x', amount: 2 } }];
    expect(validateDelta(BoundedCounter, relay, gift, rules(C.replica))).toBe('write');
    // A gift that names the totals' dot in its context removes them: refused.
    gift.context.add(C.replica, 1);
    expect(codeOf(() => validateDelta(BoundedCounter, relay, gift, rules(C.replica)))).toBe(
      'counter-decrease',
    );
  });

  it('declares insufficient-rights transient: a writer pushes the refused write again later', () => {
    // Rights given in a transfer the relay has not received yet: replication brings it.
    expect(isTransientRule('insufficient-rights')).toBe(true);
    expect(isTransientRule('counter-decrease')).toBe(true);
    expect(isTransientRule('foreign-removal')).toBe(false);
    expect(isTransientRule('no-such-rule')).toBe(false);
  });

  it('refuses lowering rights given, like any other total', () => {
    const relay = BoundedCounter.empty();
    const c = BoundedCounter.empty();
    BoundedCounter.merge(
      relay,
      apply(c, (x) => BoundedCounter.increment(x, C, 5)),
    );
    BoundedCounter.merge(
      relay,
      apply(c, (x) => BoundedCounter.transfer(x, C, B.replica, 3)),
    );
    const next = c.context.next(C.replica);
    const forged: BoundedCounterState = BoundedCounter.empty();
    forged.context.add(C.replica, 1).add(C.replica, 2).add(next.replica, next.seq);
    forged.store = [{ ...C, seq: next.seq, value: { kind: 'totals', p: 5, n: 0 } }];
    expect(codeOf(() => validateDelta(BoundedCounter, relay, forged, rules(C.replica)))).toBe(
      'counter-decrease',
    );
  });
});

/**
 * One step of a schedule: an operation at a replica, or the delivery of any delta produced so
 * far (picked by index) to any replica. Deliveries in any order, repeated or never made are every
 * partition, loss, duplication and reordering a network can produce.
 */
type Step =
  | {
      readonly kind: 'inc' | 'dec' | 'give';
      readonly at: number;
      readonly to: number;
      readonly n: number;
    }
  | { readonly kind: 'deliver'; readonly pick: number; readonly to: number };

const NODES = 4;
const REPLICAS: readonly ReplicaId[] = ['r0', 'r1', 'r2', 'r3'];

const opArb = (kind: 'inc' | 'dec' | 'give', max: number) =>
  fc.record({
    kind: fc.constant(kind),
    at: fc.nat(NODES - 1),
    to: fc.nat(NODES - 1),
    n: fc.integer({ min: 1, max }),
  });

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  opArb('inc', 6),
  opArb('dec', 3),
  opArb('dec', 3),
  opArb('give', 3),
  ...[1, 2, 3].map(() =>
    fc.record({
      kind: fc.constant('deliver' as const),
      // Often one of the latest deltas, so that what a replica just did travels on.
      pick: fc.oneof(fc.nat(1), fc.nat()),
      to: fc.nat(NODES - 1),
    }),
  ),
);

describe('BoundedCounter invariant', () => {
  it('never below the bound nor negative own rights at any replica after any merge, whatever the schedule', () => {
    let foreignDeficits = 0;
    fc.assert(
      fc.property(
        fc.integer({ min: -5, max: 5 }),
        // Uniform lengths: the default size bias keeps most schedules too short to interleave.
        fc.array(stepArb, { minLength: 1, maxLength: 60, size: 'max' }),
        (lower, steps) => {
          const T = boundedCounter(lower);
          const states = REPLICAS.map(() => T.empty());
          const deltas: BoundedCounterState[] = [];
          let incremented = 0;
          let decremented = 0;
          const check = (at: number): void => {
            const state = states[at]!;
            expect(T.value(state)).toBeGreaterThanOrEqual(lower);
            expect(T.value(state)).toBeLessThanOrEqual(lower + incremented); // none counted twice
            expect(T.localRights(state, REPLICAS[at]!)).toBeGreaterThanOrEqual(0);
            if (REPLICAS.some((r) => T.localRights(state, r) < 0)) foreignDeficits++;
          };
          for (const step of steps) {
            if (step.kind === 'deliver') {
              if (deltas.length === 0) continue;
              // Through the codec, as every delta travels.
              const delta = deltas[deltas.length - 1 - (step.pick % deltas.length)]!;
              T.merge(states[step.to]!, T.decode(T.encode(delta)));
              check(step.to);
              continue;
            }
            const state = states[step.at]!;
            const actor = { replica: REPLICAS[step.at]! };
            if (step.kind === 'give' && step.to === step.at) continue;
            const rights = T.localRights(state, actor.replica);
            if (step.kind !== 'inc' && step.n > rights) {
              // Beyond its rights: refused at once, nothing changes; it spends what it has.
              const before = T.clone(state);
              expect(() =>
                step.kind === 'dec'
                  ? T.decrement(state, actor, step.n)
                  : T.transfer(state, actor, REPLICAS[step.to]!, step.n),
              ).toThrow(InsufficientRightsError);
              expect(T.equals(state, before)).toBe(true);
            }
            const n = step.kind === 'inc' ? step.n : Math.min(step.n, rights);
            if (n === 0) continue;
            const delta =
              step.kind === 'inc'
                ? T.increment(state, actor, n)
                : step.kind === 'dec'
                  ? T.decrement(state, actor, n)
                  : T.transfer(state, actor, REPLICAS[step.to]!, n);
            T.merge(state, delta);
            deltas.push(delta);
            if (step.kind === 'inc') incremented += n;
            if (step.kind === 'dec') decremented += n;
            check(step.at);
          }
          // Every delta everywhere: replicas converge, every decrement was covered, and the
          // value is exactly bound + Σp − Σn.
          for (const [at, state] of states.entries()) {
            for (const d of deltas) T.merge(state, d);
            check(at);
            expect(T.equals(state, states[0]!)).toBe(true);
            expect(T.value(state)).toBe(lower + incremented - decremented);
            for (const r of REPLICAS) expect(T.localRights(state, r)).toBeGreaterThanOrEqual(0);
          }
        },
      ),
      { numRuns: 500 },
    );
    // Not vacuous: replicas did see decrements before the rights behind them.
    expect(foreignDeficits).toBeGreaterThan(0);
  });
});
