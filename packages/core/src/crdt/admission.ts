import type { CausalContext } from '../causal/causal-context.js';
import type { ReplicaId } from '../causal/replica-id.js';
import { ValidationError } from '../errors.js';
import type { DotFun } from './dot-fun.js';
import type { DotStoreKind } from './dot-store.js';
import type { CounterEntry, LwwEntry } from './entry-values.js';

/**
 * What a type's admission check knows about an untrusted delta (see `validateDelta`): who wrote
 * it, what the receiver has seen, what the delta's context covers, and the receiver's limits.
 * Nested stores of a map share the map's context, so the context travels here, not with them.
 */
export interface DeltaCheck {
  /** The replica ids the writer may mint dots for (those bound to its connection). */
  readonly writer: ReadonlySet<ReplicaId>;
  /** The delta's causal context: every dot it has seen, so every live entry it may remove. */
  readonly context: CausalContext;
  /** Whether the receiver has seen a dot already. */
  readonly seen: (replica: ReplicaId, seq: number) => boolean;
  /** Largest amount one delta may add to a counter entry. */
  readonly maxCounterStep: number;
  /** Latest wall time (ms) an LWW write may carry. */
  readonly latestWall: number;
}

/**
 * A counter entry is its owner's alone, and only grows: a delta may replace an entry of its
 * writer with a higher one, and may neither remove another replica's entry (`foreign-removal`)
 * nor drop or lower its own (`counter-decrease`); it goes up by at most `maxCounterStep`
 * (`counter-increment`). Entries the receiver has seen are no-ops in a merge (a retransmission,
 * or a stale delta a newer one superseded), so only new ones are compared.
 */
export function checkCounterDelta(
  kind: DotStoreKind<DotFun<CounterEntry>>,
  current: DotFun<CounterEntry>,
  delta: DotFun<CounterEntry>,
  check: DeltaCheck,
): void {
  kind.someRemoved(current, delta, check.context, (replica) => {
    if (!check.writer.has(replica)) {
      throw new ValidationError(
        'foreign-removal',
        `the delta removes the counter entry of replica ${replica}, which only that replica may replace`,
      );
    }
    if (!delta.some((e) => e.replica === replica && !check.seen(e.replica, e.seq))) {
      throw new ValidationError(
        'counter-decrease',
        `the delta drops the counter entry of replica ${replica} without a new one`,
      );
    }
    return false;
  });
  for (const e of delta) {
    if (check.seen(e.replica, e.seq)) continue;
    let p = 0;
    let n = 0;
    for (const c of current) {
      if (c.replica !== e.replica) continue;
      p = Math.max(p, c.value.p);
      n = Math.max(n, c.value.n);
    }
    if (e.value.p < p || e.value.n < n) {
      throw new ValidationError(
        'counter-decrease',
        `counter entry of replica ${e.replica} goes down from (+${p}, -${n}) to (+${e.value.p}, -${e.value.n})`,
      );
    }
    if (e.value.p - p > check.maxCounterStep || e.value.n - n > check.maxCounterStep) {
      throw new ValidationError(
        'counter-increment',
        `counter entry of replica ${e.replica} moves by more than ${check.maxCounterStep} in one delta`,
      );
    }
  }
}

/**
 * A register changes only by a write: one new entry, which replaces what its writer had seen.
 * A delta with no entry would clear the register (a state no write produces), and one with
 * several would invent concurrent writes of one writer: both are refused (`register-write`).
 */
export function checkRegisterWrite<V>(delta: DotFun<V>, check: DeltaCheck): void {
  if (delta.length !== 1 || check.seen(delta[0]!.replica, delta[0]!.seq)) {
    throw new ValidationError(
      'register-write',
      `a register delta carries exactly one new write, not ${delta.length === 1 ? 'a known one' : delta.length}`,
    );
  }
}

/** LWW writes may not be stamped past the receiver's drift bound. */
export function checkTimestamps(entries: DotFun<LwwEntry>, check: DeltaCheck): void {
  for (const e of entries) {
    if (e.value.wall > check.latestWall && !check.seen(e.replica, e.seq)) {
      throw new ValidationError(
        'clock-drift',
        `a write by replica ${e.replica} is stamped ${e.value.wall - check.latestWall} ms past the drift bound`,
      );
    }
  }
}
