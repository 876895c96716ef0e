import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ReplicaId } from '../causal/replica-id.js';
import type { Key } from '../codec/value.js';
import { BoundedCounter, type BoundedEntry } from '../crdt/bounded-counter.js';
import { GCounter, PNCounter } from '../crdt/counter.js';
import type { CrdtState, CrdtType } from '../crdt/crdt-type.js';
import type { DotFun } from '../crdt/dot-fun.js';
import type { DotMap } from '../crdt/dot-map.js';
import type { CounterEntry } from '../crdt/entry-values.js';
import { ORMapType, orMap } from '../crdt/or-map.js';
import { DecodeError, ValidationError } from '../errors.js';
import { validateDelta } from './validate-delta.js';

/**
 * The counter law of admission: whatever one writer sends, in any number of deltas, no admitted
 * delta lowers a counter entry, neither another replica's nor the writer's own. A counter nested
 * in an OR-Map keeps the rule for other replicas under a key the delta writes; a delta that
 * leaves the key out is a removal of that line as its writer saw it (the map's semantics) and
 * may take the entries it covers: that is what a device does that removes a line while another
 * raises it. So under a key the writer's own entries are its to remove either way.
 */
const ALICE: ReplicaId = 'alice';
const BOB: ReplicaId = 'bob';
const MALLORY: ReplicaId = 'mallory';
const KEYS: readonly Key[] = ['x', 'y'];

// biome-ignore lint/suspicious/noExplicitAny: the laws hold for every payload shape.
type AnyType = CrdtType<any, unknown>;

const cases: [string, AnyType][] = [
  ['g-counter', GCounter],
  ['pn-counter', PNCounter],
  ['or-map<pn-counter>', orMap(PNCounter)],
  ['or-map<or-map<g-counter>>', orMap(orMap(GCounter))],
];

/** Mostly the writer's own replica: its entries are the ones it may replace. */
const replicaArb = fc.oneof(
  { weight: 3, arbitrary: fc.constant(MALLORY) },
  { weight: 1, arbitrary: fc.constantFrom(ALICE, BOB) },
);

/** A payload as data, for any counter-bearing type: entries of replicas, or keys of payloads. */
type Raw = { entries: [ReplicaId, number, number, number][] } | { keys: [Key, Raw][] };

function rawArb(type: AnyType): fc.Arbitrary<Raw> {
  if (type instanceof ORMapType) {
    return fc
      .uniqueArray(fc.tuple(fc.constantFrom(...KEYS), rawArb(type.valueType)), {
        maxLength: 2,
        selector: ([key]) => key,
      })
      .map((keys) => ({ keys }));
  }
  const n = type === GCounter ? fc.constant(0) : fc.nat(20);
  return fc
    .uniqueArray(
      fc.tuple(
        fc.constantFrom(ALICE, BOB, MALLORY),
        fc.integer({ min: 1, max: 6 }),
        fc.nat(300),
        n,
      ),
      {
        minLength: 1,
        maxLength: 3,
        selector: ([replica, seq]) => `${replica}:${seq}`,
      },
    )
    .map((entries) => ({ entries }));
}

/** Builds a store from raw data through the codec (which rebuilds indexes and refuses junk). */
function forge(
  type: AnyType,
  raw: Raw,
  dots: [ReplicaId, number][],
): CrdtState<unknown> | undefined {
  const state = type.empty();
  const build = (t: AnyType, r: Raw): unknown => {
    if ('keys' in r) {
      const m: DotMap<unknown> = { entries: new Map(), owners: new Map() };
      for (const [key, nested] of r.keys)
        m.entries.set(key, build((t as ORMapType<unknown, unknown>).valueType, nested));
      return m;
    }
    return r.entries.map(([replica, seq, p, n]) => {
      state.context.add(replica, seq);
      return { replica, seq, value: { p, n } };
    });
  };
  state.store = build(type, raw);
  for (const [replica, seq] of dots) state.context.add(replica, seq);
  try {
    return type.decode(type.encode(state));
  } catch (err) {
    if (err instanceof DecodeError) return undefined; // e.g. one dot under two keys
    throw err;
  }
}

/** Every counter of a state by its key path, as replica → its greatest (p, n). */
function counters(
  type: AnyType,
  store: unknown,
  path = '',
  out = new Map<string, Map<ReplicaId, CounterEntry>>(),
) {
  if (type instanceof ORMapType) {
    for (const [key, nested] of (store as DotMap<unknown>).entries) {
      counters(type.valueType, nested, `${path}/${String(key)}`, out);
    }
    return out;
  }
  const totals = new Map<ReplicaId, CounterEntry>();
  for (const e of store as DotFun<CounterEntry>) {
    const t = totals.get(e.replica) ?? { p: 0, n: 0 };
    totals.set(e.replica, { p: Math.max(t.p, e.value.p), n: Math.max(t.n, e.value.n) });
  }
  out.set(path, totals);
  return out;
}

/** An honest write: increments a counter of `replica` (at the first key path, for maps). */
function honestIncrement(
  type: AnyType,
  state: CrdtState<unknown>,
  replica: ReplicaId,
  by: number,
): CrdtState<unknown> {
  if (type instanceof ORMapType) {
    return type.update(state as CrdtState<DotMap<unknown>>, KEYS[0]!, (nested) =>
      honestIncrement(type.valueType, nested, replica, by),
    ) as CrdtState<unknown>;
  }
  return (type as typeof GCounter).increment(state as never, { replica }, by);
}

type Step = { honest: ReplicaId; by: number } | { raw: Raw; covers: [ReplicaId, number][] };

describe('admission: no admitted delta lowers a counter entry', () => {
  for (const [name, type] of cases) {
    it(`${name}: any sequence of hostile deltas from one writer`, () => {
      const dotArb = fc.tuple(replicaArb, fc.integer({ min: 1, max: 7 }));
      const stepArb: fc.Arbitrary<Step> = fc.oneof(
        fc.record({ honest: fc.constantFrom(ALICE, BOB), by: fc.integer({ min: 1, max: 50 }) }),
        fc.record({ raw: rawArb(type), covers: fc.array(dotArb, { maxLength: 5 }) }),
      );
      let admitted = 0;
      fc.assert(
        fc.property(fc.array(stepArb, { minLength: 1, maxLength: 12 }), (steps) => {
          const relay = type.empty();
          for (const step of steps) {
            if ('honest' in step) {
              type.merge(relay, honestIncrement(type, relay, step.honest, step.by));
              continue;
            }
            const delta = forge(type, step.raw, step.covers);
            if (delta === undefined) continue;
            try {
              validateDelta(type, relay, delta, { replicas: new Set([MALLORY]), now: () => 0 });
            } catch (err) {
              if (err instanceof ValidationError) continue;
              throw err;
            }
            admitted++;
            const before = counters(type, relay.store);
            const written = counters(type, delta.store);
            type.merge(relay, delta);
            const after = counters(type, relay.store);
            for (const [path, totals] of before) {
              const now = after.get(path);
              // A delta that leaves a key out removes that line as its writer saw it (the map's
              // semantics): it may take any entries under it, even some of one replica's.
              if (path !== '' && (now === undefined || !written.has(path))) continue;
              for (const [replica, { p, n }] of totals) {
                // Under a key it writes, the writer's own entries are also its to remove, as a
                // removal of the key could: a write of its delivered again may take what it
                // replaced where a removal took the write itself (see checkCounterDelta).
                if (path !== '' && replica === MALLORY) continue;
                // An entry of (+0, -0) counts nothing: losing it changes no value.
                const t = now?.get(replica) ?? { p: 0, n: 0 };
                expect(t.p, `${path || 'the counter'}: ${replica}'s p`).toBeGreaterThanOrEqual(p);
                expect(t.n, `${path || 'the counter'}: ${replica}'s n`).toBeGreaterThanOrEqual(n);
              }
            }
          }
        }),
        { numRuns: 300 },
      );
      // The law must not hold vacuously: hostile deltas were admitted along the way.
      expect(admitted).toBeGreaterThan(20);
    });
  }
});

/**
 * A bounded-counter entry as data: replica, seq, and its part: totals (p, n), or rights given
 * (recipient, amount).
 */
type RawBounded = [ReplicaId, number, ['totals', number, number] | ['given', ReplicaId, number]];

const boundedRawArb: fc.Arbitrary<RawBounded[]> = fc.uniqueArray(
  fc.tuple(
    replicaArb,
    fc.integer({ min: 1, max: 7 }),
    fc.oneof(
      fc.tuple(fc.constant('totals' as const), fc.nat(40), fc.nat(40)),
      fc.tuple(
        fc.constant('given' as const),
        fc.constantFrom(ALICE, BOB, MALLORY, 'x'),
        fc.integer({ min: 1, max: 30 }),
      ),
    ),
  ),
  { minLength: 1, maxLength: 3, selector: ([replica, seq]) => `${replica}:${seq}` },
);

type BoundedStep =
  | { honest: ReplicaId; op: 'inc' | 'give'; by: number }
  | { raw: RawBounded[]; covers: [ReplicaId, number][] };

/** Every replica's totals in a bounded counter: greatest p, n and rights given to each. */
function boundedTotals(store: DotFun<BoundedEntry>): Map<string, number> {
  const out = new Map<string, number>();
  const max = (k: string, v: number) => out.set(k, Math.max(out.get(k) ?? 0, v));
  for (const { replica, value } of store) {
    if (value.kind === 'totals') {
      max(`${replica} p`, value.p);
      max(`${replica} n`, value.n);
    } else max(`${replica} gave ${value.to}`, value.amount);
  }
  return out;
}

describe('admission: a bounded counter writer spends only its rights', () => {
  it('no sequence of hostile deltas lowers a total of any replica or takes rights below zero', () => {
    const T = BoundedCounter;
    const stepArb: fc.Arbitrary<BoundedStep> = fc.oneof(
      fc.record({
        honest: fc.constantFrom(ALICE, BOB),
        op: fc.constantFrom('inc' as const, 'give' as const),
        by: fc.integer({ min: 1, max: 20 }),
      }),
      fc.record({
        raw: boundedRawArb,
        covers: fc.array(fc.tuple(replicaArb, fc.integer({ min: 1, max: 7 })), { maxLength: 5 }),
      }),
    );
    let admitted = 0;
    let refusedForRights = 0;
    fc.assert(
      fc.property(fc.array(stepArb, { minLength: 1, maxLength: 12 }), (steps) => {
        const relay = T.empty();
        for (const step of steps) {
          if ('honest' in step) {
            const actor = { replica: step.honest };
            const rights = T.localRights(relay, step.honest);
            if (step.op === 'inc') T.merge(relay, T.increment(relay, actor, step.by));
            else if (rights > 0) {
              T.merge(relay, T.transfer(relay, actor, MALLORY, Math.min(step.by, rights)));
            }
            continue;
          }
          const state = T.empty();
          state.store = step.raw.map(([replica, seq, part]) => {
            state.context.add(replica, seq);
            const value: BoundedEntry =
              part[0] === 'totals'
                ? { kind: 'totals', p: part[1], n: part[2] }
                : { kind: 'given', to: part[1], amount: part[2] };
            return { replica, seq, value };
          });
          for (const [replica, seq] of step.covers) state.context.add(replica, seq);
          const delta = T.decode(T.encode(state));
          try {
            validateDelta(T, relay, delta, { replicas: new Set([MALLORY]), now: () => 0 });
          } catch (err) {
            if (!(err instanceof ValidationError)) throw err;
            if (err.rule === 'insufficient-rights') refusedForRights++;
            continue;
          }
          admitted++;
          const before = boundedTotals(relay.store);
          T.merge(relay, delta);
          const after = boundedTotals(relay.store);
          for (const [total, v] of before) {
            expect(after.get(total) ?? 0, total).toBeGreaterThanOrEqual(v);
          }
          // The relay has every honest write, so its count of rights is the truth.
          for (const replica of [ALICE, BOB, MALLORY, 'x']) {
            expect(T.localRights(relay, replica), replica).toBeGreaterThanOrEqual(0);
          }
        }
      }),
      { numRuns: 300 },
    );
    // Not vacuous: hostile deltas were admitted, and others refused for the rights they spent.
    expect(admitted).toBeGreaterThan(20);
    expect(refusedForRights).toBeGreaterThan(20);
  });
});
