/**
 * Shared fast-check generators for the CRDT property tests: values and keys, one table entry per
 * CRDT type (its mutations as data), and random causal histories over several replicas that
 * exchange whole states, digests and delta groups in random order.
 *
 * A history is data (a list of steps), so fast-check can shrink a failing one; `runHistory`
 * replays it and records, for every operation, the operations causally before it.
 */
import fc from 'fast-check';
import type { Dot } from '../causal/dot.js';
import type { ReplicaId } from '../causal/replica-id.js';
import { HybridLogicalClock } from '../clock/hybrid-logical-clock.js';
import type { Timestamp } from '../clock/timestamp.js';
import type { Key, Value } from '../codec/value.js';
import { BoundedCounter, type BoundedEntry } from '../crdt/bounded-counter.js';
import { GCounter, PNCounter } from '../crdt/counter.js';
import type { CrdtState, CrdtType } from '../crdt/crdt-type.js';
import type { DotFun } from '../crdt/dot-fun.js';
import type { DotMap } from '../crdt/dot-map.js';
import type { CounterEntry, LwwEntry } from '../crdt/entry-values.js';
import type { ClockedActor } from '../crdt/lww.js';
import { LWWMap } from '../crdt/lww-map.js';
import { LWWRegister } from '../crdt/lww-register.js';
import { MVRegister } from '../crdt/mv-register.js';
import { orMap } from '../crdt/or-map.js';
import { Quantity } from '../crdt/quantity.js';
import { AWSet, type ElementDots, ORSet, RWSet } from '../crdt/sets.js';

// ---------------------------------------------------------------------------------------------
// Replicas, keys, values

/** Replica id sets: all compact (7-byte ids in the codec), all named, and a mix of both. */
export const REPLICA_SETS: readonly (readonly ReplicaId[])[] = [
  ['00000000000001', '0a1b2c3d4e5f60', 'ffffffffffffff', '7e57ab1e000004'],
  ['alice', 'bob', 'carol', 'dave'],
  ['zed', '0a1b2c3d4e5f60', 'b\u00e9a-\u{1d11e}', 'a'],
];

/** Wall time at which histories start (a realistic epoch-ms, so walls need several varint bytes). */
export const HISTORY_EPOCH_MS = 1_700_000_000_000;

/**
 * Few keys, so that operations collide often. `1` and `'1'` are different keys; `-2.5` exercises
 * the float key encoding.
 */
export const keyArb: fc.Arbitrary<Key> = fc.constantFrom<Key>('a', 'b', '1', 1, -2.5);

const scalarArb: fc.Arbitrary<Value> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer({ min: -3, max: 3 }),
  fc.constantFrom('x', 'y', ''),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.uint8Array({ maxLength: 3 }),
);

/** Small register and map values covering every tag of the value codec. */
export const valueArb: fc.Arbitrary<Value> = fc.oneof(
  { weight: 4, arbitrary: scalarArb },
  { weight: 1, arbitrary: fc.array(scalarArb, { maxLength: 3 }) },
  {
    weight: 1,
    arbitrary: fc.dictionary(fc.constantFrom('k', 'z', '__proto__'), scalarArb, {
      maxKeys: 2,
      noNullPrototype: true,
    }),
  },
);

const amountArb = fc.oneof(
  { weight: 5, arbitrary: fc.integer({ min: 1, max: 5 }) },
  // Large steps exercise multi-byte varints; 40 of them still stay below 2^53.
  { weight: 1, arbitrary: fc.constant(2 ** 40) },
);

// ---------------------------------------------------------------------------------------------
// Operations per type

export type CounterOp = { readonly kind: 'inc' | 'dec'; readonly n: number };
/**
 * A bounded-counter operation: `dec` and `give` spend at most the actor's rights (`give` to the
 * `to`-th other replica of its replica set, which may be outside the history: a holder of rights
 * that never writes); an actor with no rights increments by `n` instead.
 */
export type BoundedOp = {
  readonly kind: 'inc' | 'dec' | 'give';
  readonly n: number;
  readonly to: number;
};
export type RegisterOp = { readonly kind: 'set'; readonly value: Value };
export type MapOp =
  | { readonly kind: 'set'; readonly key: Key; readonly value: Value }
  | { readonly kind: 'remove'; readonly key: Key };
export type SetOp = { readonly kind: 'add' | 'remove'; readonly element: Key };
export type ORSetOp =
  | SetOp
  | { readonly kind: 'removeTag'; readonly element: Key; readonly pick: number };
export type NestedCounterOp =
  | { readonly kind: 'inc' | 'dec'; readonly key: Key; readonly n: number }
  | { readonly kind: 'remove'; readonly key: Key };
/**
 * A quantity operation: `dec` takes at most the units the actor sees, and an actor that sees none
 * increments by `n` instead (a decrement beyond the value throws); `reset` takes every unit seen.
 */
export type QuantityOp = { readonly kind: 'inc' | 'dec' | 'reset'; readonly n: number };
export type NestedQuantityOp =
  | { readonly kind: 'inc' | 'dec'; readonly key: Key; readonly n: number }
  | { readonly kind: 'remove'; readonly key: Key };
export type NestedSetOp =
  | { readonly kind: 'add' | 'removeElement'; readonly key: Key; readonly element: Key }
  | { readonly kind: 'remove'; readonly key: Key };

/** One CRDT type with its mutations described as data. */
export interface TypeCase<S, V, Op> {
  readonly name: string;
  readonly type: CrdtType<S, V>;
  readonly op: fc.Arbitrary<Op>;
  /** Runs the mutator `op` names, as `actor`; returns the delta (`state` must stay unchanged). */
  mutate(state: CrdtState<S>, actor: ClockedActor, op: Op): CrdtState<S>;
}

/** A type case with its payload, value and operation types erased, for tables over all types. */
export type AnyTypeCase = TypeCase<unknown, unknown, unknown>;

function erase<S, V, Op>(c: TypeCase<S, V, Op>): AnyTypeCase {
  // Sound at runtime: every use of an erased case passes back states and ops it produced.
  return c as unknown as AnyTypeCase;
}

type CounterPayload = DotFun<CounterEntry>;

export const gCounterCase: TypeCase<CounterPayload, number, CounterOp> = {
  name: 'GCounter',
  type: GCounter,
  op: amountArb.map((n) => ({ kind: 'inc', n })),
  mutate: (s, actor, op) => GCounter.increment(s, actor, op.n),
};

export const pnCounterCase: TypeCase<CounterPayload, number, CounterOp> = {
  name: 'PNCounter',
  type: PNCounter,
  op: fc.record({ kind: fc.constantFrom('inc' as const, 'dec' as const), n: amountArb }),
  mutate: (s, actor, op) =>
    op.kind === 'inc' ? PNCounter.increment(s, actor, op.n) : PNCounter.decrement(s, actor, op.n),
};

/**
 * The replica a `give` op of `replica` names: one of the others of its replica set (of the
 * named set when `replica` is in none of them).
 */
export function recipientOf(replica: ReplicaId, to: number): ReplicaId {
  const set = REPLICA_SETS.find((ids) => ids.includes(replica)) ?? REPLICA_SETS[1]!;
  const others = set.filter((r) => r !== replica);
  return others[to % others.length]!;
}

export const boundedCounterCase: TypeCase<DotFun<BoundedEntry>, number, BoundedOp> = {
  name: 'BoundedCounter',
  type: BoundedCounter,
  op: fc.record({
    kind: fc.constantFrom('inc' as const, 'dec' as const, 'give' as const),
    n: amountArb,
    to: fc.nat({ max: 3 }),
  }),
  mutate(s, actor, op) {
    const spend = Math.min(op.n, BoundedCounter.localRights(s, actor.replica));
    if (op.kind === 'inc' || spend <= 0) return BoundedCounter.increment(s, actor, op.n);
    return op.kind === 'dec'
      ? BoundedCounter.decrement(s, actor, spend)
      : BoundedCounter.transfer(s, actor, recipientOf(actor.replica, op.to), spend);
  },
};

export const lwwRegisterCase: TypeCase<DotFun<LwwEntry>, Value | undefined, RegisterOp> = {
  name: 'LWWRegister',
  type: LWWRegister,
  op: valueArb.map((value) => ({ kind: 'set', value })),
  mutate: (s, actor, op) => LWWRegister.set(s, actor, op.value),
};

export const mvRegisterCase: TypeCase<DotFun<Value>, Value[], RegisterOp> = {
  name: 'MVRegister',
  type: MVRegister,
  op: valueArb.map((value) => ({ kind: 'set', value })),
  mutate: (s, actor, op) => MVRegister.set(s, actor, op.value),
};

const mapOpArb: fc.Arbitrary<MapOp> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('set' as const), key: keyArb, value: valueArb }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('remove' as const), key: keyArb }) },
);

export const lwwMapCase: TypeCase<DotMap<DotFun<LwwEntry>>, Map<Key, Value>, MapOp> = {
  name: 'LWWMap',
  type: LWWMap,
  op: mapOpArb,
  mutate: (s, actor, op) =>
    op.kind === 'set' ? LWWMap.set(s, actor, op.key, op.value) : LWWMap.remove(s, actor, op.key),
};

const setOpArb: fc.Arbitrary<SetOp> = fc.record({
  kind: fc.constantFrom('add' as const, 'add' as const, 'remove' as const),
  element: keyArb,
});

export const awSetCase: TypeCase<DotMap<ElementDots>, Set<Key>, SetOp> = {
  name: 'AWSet',
  type: AWSet,
  op: setOpArb,
  mutate: (s, actor, op) =>
    op.kind === 'add' ? AWSet.add(s, actor, op.element) : AWSet.remove(s, actor, op.element),
};

/**
 * The tag an OR-Set `removeTag` op names: one of the element's live tags if it has any, else a
 * dot of the actor that may be dead, live under another element, or not minted yet.
 */
export function pickTag(
  state: CrdtState<DotMap<ElementDots>>,
  replica: ReplicaId,
  element: Key,
  pick: number,
): Dot {
  const tags = ORSet.tags(state, element);
  return tags[pick % Math.max(tags.length, 1)] ?? { replica, seq: (pick % 8) + 1 };
}

export const orSetCase: TypeCase<DotMap<ElementDots>, Set<Key>, ORSetOp> = {
  name: 'ORSet',
  type: ORSet,
  op: fc.oneof(
    { weight: 3, arbitrary: setOpArb },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('removeTag' as const),
        element: keyArb,
        pick: fc.nat({ max: 15 }),
      }),
    },
  ),
  mutate(s, actor, op) {
    if (op.kind === 'removeTag') {
      return ORSet.removeTag(s, actor, pickTag(s, actor.replica, op.element, op.pick));
    }
    return op.kind === 'add'
      ? ORSet.add(s, actor, op.element).delta
      : ORSet.remove(s, actor, op.element);
  },
};

export const rwSetCase: TypeCase<DotMap<DotFun<boolean>>, Set<Key>, SetOp> = {
  name: 'RWSet',
  type: RWSet,
  op: setOpArb,
  mutate: (s, actor, op) =>
    op.kind === 'add' ? RWSet.add(s, actor, op.element) : RWSet.remove(s, actor, op.element),
};

/** Quantities move by a few units: each is a dot. */
const unitsArb = fc.integer({ min: 1, max: 4 });

/** A quantity decrement as the cases run it: of what the actor sees, else an increment. */
function decrementSeen(
  s: CrdtState<DotFun<true>>,
  actor: ClockedActor,
  n: number,
): CrdtState<DotFun<true>> {
  const take = Math.min(n, Quantity.value(s));
  return take === 0 ? Quantity.increment(s, actor, n) : Quantity.decrement(s, actor, take);
}

export const quantityCase: TypeCase<DotFun<true>, number, QuantityOp> = {
  name: 'Quantity',
  type: Quantity,
  op: fc.record({
    kind: fc.constantFrom('inc' as const, 'dec' as const, 'reset' as const),
    n: unitsArb,
  }),
  mutate(s, actor, op) {
    if (op.kind === 'inc') return Quantity.increment(s, actor, op.n);
    return op.kind === 'dec' ? decrementSeen(s, actor, op.n) : Quantity.reset(s, actor);
  },
};

export const CounterMap = orMap(PNCounter);
export const QuantityMap = orMap(Quantity);
export const SetMap = orMap(AWSet);
export const RegisterMap = orMap(MVRegister);

export const counterMapCase: TypeCase<DotMap<CounterPayload>, Map<Key, number>, NestedCounterOp> = {
  name: 'orMap(PNCounter)',
  type: CounterMap,
  op: fc.oneof(
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constantFrom('inc' as const, 'dec' as const),
        key: keyArb,
        n: amountArb,
      }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('remove' as const), key: keyArb }) },
  ),
  mutate(s, actor, op) {
    if (op.kind === 'remove') return CounterMap.remove(s, actor, op.key);
    return CounterMap.update(s, op.key, (line) =>
      op.kind === 'inc'
        ? PNCounter.increment(line, actor, op.n)
        : PNCounter.decrement(line, actor, op.n),
    );
  },
};

export const quantityMapCase: TypeCase<DotMap<DotFun<true>>, Map<Key, number>, NestedQuantityOp> = {
  name: 'orMap(Quantity)',
  type: QuantityMap,
  op: fc.oneof(
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constantFrom('inc' as const, 'dec' as const),
        key: keyArb,
        n: unitsArb,
      }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('remove' as const), key: keyArb }) },
  ),
  mutate(s, actor, op) {
    if (op.kind === 'remove') return QuantityMap.remove(s, actor, op.key);
    return QuantityMap.update(s, op.key, (line) =>
      op.kind === 'inc' ? Quantity.increment(line, actor, op.n) : decrementSeen(line, actor, op.n),
    );
  },
};

export const setMapCase: TypeCase<DotMap<DotMap<ElementDots>>, Map<Key, Set<Key>>, NestedSetOp> = {
  name: 'orMap(AWSet)',
  type: SetMap,
  op: fc.oneof(
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constantFrom('add' as const, 'add' as const, 'removeElement' as const),
        key: keyArb,
        element: keyArb,
      }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('remove' as const), key: keyArb }) },
  ),
  mutate(s, actor, op) {
    if (op.kind === 'remove') return SetMap.remove(s, actor, op.key);
    return SetMap.update(s, op.key, (set) =>
      op.kind === 'add' ? AWSet.add(set, actor, op.element) : AWSet.remove(set, actor, op.element),
    );
  },
};

export const registerMapCase: TypeCase<DotMap<DotFun<Value>>, Map<Key, Value[]>, MapOp> = {
  name: 'orMap(MVRegister)',
  type: RegisterMap,
  op: mapOpArb,
  mutate(s, actor, op) {
    if (op.kind === 'remove') return RegisterMap.remove(s, actor, op.key);
    return RegisterMap.update(s, op.key, (reg) => MVRegister.set(reg, actor, op.value));
  },
};

/** Every CRDT type of the core, with its mutations. */
export const typeCases: readonly AnyTypeCase[] = [
  erase(gCounterCase),
  erase(pnCounterCase),
  erase(boundedCounterCase),
  erase(lwwRegisterCase),
  erase(mvRegisterCase),
  erase(lwwMapCase),
  erase(orSetCase),
  erase(awSetCase),
  erase(rwSetCase),
  erase(counterMapCase),
  erase(setMapCase),
  erase(registerMapCase),
  erase(quantityCase),
  erase(quantityMapCase),
];

// ---------------------------------------------------------------------------------------------
// Histories

/**
 * How a sync step moves information from one replica to another:
 * - `state`: the whole state is merged;
 * - `digest`: the receiver's digest goes to the sender, which answers with `deltaSince`;
 * - `deltas`: the deltas of every operation the receiver lacks, merged one by one in a shuffled
 *   (so possibly non-causal) order; after the step the receiver is causally consistent again;
 * - `some-deltas`: a random subset of those deltas, so the receiver's context can have gaps and
 *   its set of seen operations is not causally closed. Only histories for algebraic laws use it.
 */
export type SyncMode = 'state' | 'digest' | 'deltas' | 'some-deltas';

export type Step<Op> =
  | {
      readonly kind: 'op';
      readonly at: number;
      readonly op: Op;
      /** Milliseconds of physical time that pass before the op. */
      readonly dt: number;
    }
  | {
      readonly kind: 'sync';
      readonly from: number;
      /** Offset of the receiver from the sender (1 .. replicas-1 after reduction). */
      readonly to: number;
      readonly mode: SyncMode;
      readonly seed: number;
    };

export interface History<Op> {
  readonly replicas: readonly ReplicaId[];
  /** Per replica, how far its physical clock is off, in ms. */
  readonly skews: readonly number[];
  readonly steps: readonly Step<Op>[];
}

export interface HistoryOptions {
  readonly minReplicas?: number;
  readonly maxReplicas?: number;
  readonly maxSteps?: number;
  /** Allow `some-deltas` syncs, which break causal delivery. Default false. */
  readonly lossy?: boolean;
}

/** Random causal histories of `op` over 3-4 replicas (by default) with concurrent operations. */
export function historyArb<Op>(
  op: fc.Arbitrary<Op>,
  options: HistoryOptions = {},
): fc.Arbitrary<History<Op>> {
  const minReplicas = options.minReplicas ?? 3;
  const maxReplicas = options.maxReplicas ?? 4;
  const maxSteps = options.maxSteps ?? 24;
  const modes: SyncMode[] = ['state', 'digest', 'deltas', 'deltas'];
  if (options.lossy) modes.push('some-deltas', 'some-deltas');
  const opStep: fc.Arbitrary<Step<Op>> = fc.record({
    kind: fc.constant('op' as const),
    at: fc.nat({ max: maxReplicas - 1 }),
    op,
    dt: fc.nat({ max: 3 }),
  });
  const syncStep: fc.Arbitrary<Step<Op>> = fc.record({
    kind: fc.constant('sync' as const),
    from: fc.nat({ max: maxReplicas - 1 }),
    to: fc.nat({ max: maxReplicas - 1 }),
    mode: fc.constantFrom(...modes),
    seed: fc.nat(),
  });
  return fc.record({
    replicas: fc
      .tuple(fc.constantFrom(...REPLICA_SETS), fc.integer({ min: minReplicas, max: maxReplicas }))
      .map(([ids, n]) => ids.slice(0, n)),
    skews: fc.array(fc.integer({ min: -4, max: 4 }), {
      minLength: maxReplicas,
      maxLength: maxReplicas,
    }),
    steps: fc.array(
      fc.oneof({ weight: 3, arbitrary: opStep }, { weight: 2, arbitrary: syncStep }),
      // Uniform lengths: the default size bias keeps most histories too short to be concurrent.
      { maxLength: maxSteps, size: 'max' },
    ),
  });
}

/** One operation of a replayed history. */
export interface OpRecord<S, Op> {
  readonly id: number;
  /** Index of the replica that performed it. */
  readonly at: number;
  readonly replica: ReplicaId;
  readonly op: Op;
  /** Ids of the operations the replica had applied before: the causal past of this one. */
  readonly visible: ReadonlySet<number>;
  /**
   * The dot the op mints if it mints one: the replica's next dot at the time (the first of them
   * for an op that mints several, a quantity's increment).
   */
  readonly dot: Dot;
  /** The clock reading the mutator took (LWW types), else undefined. */
  readonly timestamp: Timestamp | undefined;
  /** The replica's state just before the op (a copy). */
  readonly before: CrdtState<S>;
  /** The delta the mutator returned. */
  readonly delta: CrdtState<S>;
}

/** A replica's state and seen operations after a step changed it. */
export interface Checkpoint<S> {
  readonly step: number;
  readonly at: number;
  readonly state: CrdtState<S>;
  readonly seen: ReadonlySet<number>;
}

export interface HistoryRun<S, Op> {
  readonly replicas: readonly ReplicaId[];
  /** Final state per replica. */
  readonly states: CrdtState<S>[];
  /** Final seen operation ids per replica. */
  readonly seen: Set<number>[];
  readonly ops: OpRecord<S, Op>[];
  readonly checkpoints: Checkpoint<S>[];
  /** Every delta sent by a `digest` sync (mutator deltas are in `ops`). */
  readonly syncDeltas: CrdtState<S>[];
  /** The fake physical time at the end, in ms. */
  readonly time: number;
  /** The replicas' clocks, as left by the history. */
  readonly clocks: HybridLogicalClock[];
}

export interface RunOptions {
  /**
   * When true (the default), a receiving replica's clock folds in the timestamps of the
   * operations it learns of, as the SDK does, so a write orders after every write it has seen.
   */
  readonly causalClocks?: boolean;
}

/** Deterministic shuffle (xorshift32), so a history's delta order is part of its data. */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = items.slice();
  let x = seed >>> 0 || 0x9e3779b9;
  const next = (): number => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
  for (let i = out.length - 1; i > 0; i--) {
    const j = next() % (i + 1);
    const tmp = out[i]!;
    out[i] = out[j]!;
    out[j] = tmp;
  }
  return out;
}

/** Replays `history` for one type case, recording every operation with its causal past. */
export function runHistory<S, V, Op>(
  c: TypeCase<S, V, Op>,
  history: History<Op>,
  options: RunOptions = {},
): HistoryRun<S, Op> {
  const T = c.type;
  const causalClocks = options.causalClocks ?? true;
  const n = history.replicas.length;
  let time = HISTORY_EPOCH_MS;
  const clocks = history.replicas.map(
    (replica, i) => new HybridLogicalClock({ replica, now: () => time + (history.skews[i] ?? 0) }),
  );
  const states = history.replicas.map(() => T.empty());
  const seen = history.replicas.map(() => new Set<number>());
  const ops: OpRecord<S, Op>[] = [];
  const checkpoints: Checkpoint<S>[] = [];
  const syncDeltas: CrdtState<S>[] = [];

  history.steps.forEach((step, k) => {
    if (step.kind === 'op') {
      time += step.dt;
      const at = step.at % n;
      const replica = history.replicas[at]!;
      const clock = clocks[at]!;
      const state = states[at]!;
      let timestamp: Timestamp | undefined;
      const actor: ClockedActor = {
        replica,
        now: () => {
          timestamp = clock.now();
          return timestamp;
        },
      };
      const before = T.clone(state);
      const dot = state.context.next(replica);
      const delta = c.mutate(state, actor, step.op);
      const id = ops.length;
      ops.push({
        id,
        at,
        replica,
        op: step.op,
        visible: new Set(seen[at]),
        dot,
        timestamp,
        before,
        delta,
      });
      T.merge(state, delta);
      seen[at]!.add(id);
      checkpoints.push({ step: k, at, state: T.clone(state), seen: new Set(seen[at]) });
      return;
    }
    const from = step.from % n;
    const to = (from + 1 + (step.to % (n - 1))) % n;
    const target = states[to]!;
    const missing = [...seen[from]!].filter((id) => !seen[to]!.has(id));
    let shipped = missing;
    if (step.mode === 'state') {
      T.merge(target, T.clone(states[from]!));
    } else if (step.mode === 'digest') {
      const delta = T.deltaSince(states[from]!, T.digest(target));
      syncDeltas.push(T.clone(delta));
      T.merge(target, delta);
    } else {
      const order = shuffled(missing, step.seed);
      shipped =
        step.mode === 'deltas'
          ? order
          : order.filter((_, i) => ((step.seed >>> (i % 31)) & 1) === 1);
      for (const id of shipped) T.merge(target, ops[id]!.delta);
    }
    for (const id of shipped) {
      seen[to]!.add(id);
      const ts = ops[id]!.timestamp;
      if (causalClocks && ts !== undefined) clocks[to]!.receive(ts);
    }
    checkpoints.push({ step: k, at: to, state: T.clone(target), seen: new Set(seen[to]) });
  });

  return {
    replicas: history.replicas,
    states,
    seen,
    ops,
    checkpoints,
    syncDeltas,
    time,
    clocks,
  };
}

/** Merges every replica's state into every other, so that all have seen everything. */
export function converge<S, V>(
  type: CrdtType<S, V>,
  states: readonly CrdtState<S>[],
): CrdtState<S> {
  const all = type.empty();
  for (const s of states) type.merge(all, s);
  return all;
}

// ---------------------------------------------------------------------------------------------
// Structural checks

function isDotMap(store: unknown): store is DotMap<unknown> {
  return (
    typeof store === 'object' &&
    store !== null &&
    'entries' in store &&
    store.entries instanceof Map &&
    'owners' in store &&
    store.owners instanceof Map
  );
}

function collectDots(store: unknown, path: string, dots: Dot[], problems: string[]): void {
  if (Array.isArray(store)) {
    for (const e of store as DotFun<unknown>) dots.push({ replica: e.replica, seq: e.seq });
    return;
  }
  if (!isDotMap(store)) {
    problems.push(`${path}: not a dot store`);
    return;
  }
  const owner = new Map<string, Key>();
  for (const [key, inner] of store.entries) {
    const mine: Dot[] = [];
    collectDots(inner, `${path}/${String(key)}`, mine, problems);
    if (mine.length === 0) problems.push(`${path}: key ${String(key)} holds no dot`);
    for (const d of mine) {
      owner.set(`${d.replica}:${d.seq}`, key);
      dots.push(d);
    }
  }
  let indexed = 0;
  for (const [replica, bySeq] of store.owners) {
    for (const [seq, key] of bySeq) {
      indexed++;
      if (owner.get(`${replica}:${seq}`) !== key) {
        problems.push(`${path}: owners index says ${replica}:${seq} is under ${String(key)}`);
      }
    }
  }
  if (indexed !== owner.size) {
    problems.push(`${path}: owners index has ${indexed} dots, the map holds ${owner.size}`);
  }
}

/**
 * The ways `state` breaks the dot-store invariants (empty when it is well formed): every dot of
 * the store is in the context, no dot appears twice, no map key holds an empty store, and each
 * map's owner index names exactly the key holding each live dot.
 */
export function wellFormednessProblems<S>(state: CrdtState<S>): string[] {
  const problems: string[] = [];
  const dots: Dot[] = [];
  collectDots(state.store, '', dots, problems);
  const unique = new Set<string>();
  for (const d of dots) {
    const id = `${d.replica}:${d.seq}`;
    if (unique.has(id)) problems.push(`dot ${id} appears twice`);
    unique.add(id);
    if (!state.context.contains(d)) problems.push(`dot ${id} is not in the context`);
  }
  return problems;
}

/** A canonical, order-insensitive rendering of a set of keys, for comparisons and messages. */
export function keyList(keys: Iterable<Key>): string[] {
  return [...keys].map((k) => `${typeof k}:${String(k)}`).sort();
}
