import type { CausalContext } from '../causal/causal-context.js';
import type { ReplicaId } from '../causal/replica-id.js';
import { ValidationError } from '../errors.js';
import type { DotEntry, DotFun } from './dot-fun.js';
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
  /** Whether the store checked is the value of a map key, which the map may remove whole. */
  readonly removable?: boolean;
}

/**
 * `check` for the value of a map key, which the map may remove whole. Written out rather than
 * spread: a map checks every key of every delta, and a spread copy costs more than the check
 * of a counter entry (it showed as the largest self time of validation in the relay's profile).
 */
export function underMapKey(check: DeltaCheck): DeltaCheck {
  return {
    writer: check.writer,
    context: check.context,
    seen: check.seen,
    maxCounterStep: check.maxCounterStep,
    latestWall: check.latestWall,
    removable: true,
  };
}

/**
 * How admission compares one replica's counter entries. Every total of a counter entry (its
 * increments, its decrements, and for a bounded counter the rights it gave to each replica) only
 * grows along its owner's history, so entries are compared total by total. An entry holds one
 * *part* of its replica's totals: a PN-Counter's entry holds all of them, a bounded counter's
 * either its increments and decrements or the rights given to one replica, so that a write
 * carries only the part it changes.
 */
export interface CounterOrder<E> {
  /** Whether `a` and `b` hold the same part of their replica's totals. */
  samePart(a: E, b: E): boolean;
  /** `like`'s part with every total zero: what a replica holds of it before writing it. */
  zero(like: E): E;
  /** Two entries of one part, total by total the greater. */
  join(a: E, b: E): E;
  /** Whether every total of `a` is at least the same total of `b` (entries of one part). */
  covers(a: E, b: E): boolean;
  /** The greatest rise of one total from `from` to `to` (entries of one part). */
  step(from: E, to: E): number;
  /** The totals as a person reads them, for error messages. */
  show(e: E): string;
}

/**
 * The totals of `replica` in `like`'s part among the `entries` that `keep` accepts (all by
 * default), each the greatest, joined into `from` (zero by default).
 */
function partTotals<E>(
  order: CounterOrder<E>,
  entries: DotFun<E>,
  replica: ReplicaId,
  like: E,
  from: E = order.zero(like),
  keep?: (e: DotEntry<E>) => boolean,
): E {
  let totals = from;
  for (const e of entries) {
    if (e.replica === replica && order.samePart(e.value, like) && (keep === undefined || keep(e)))
      totals = order.join(totals, e.value);
  }
  return totals;
}

/** A PN- or G-Counter entry, all its replica's totals: increments `p` and decrements `n`. */
export const counterOrder: CounterOrder<CounterEntry> = {
  samePart: () => true,
  zero: () => ({ p: 0, n: 0 }),
  join: (a, b) => ({ p: Math.max(a.p, b.p), n: Math.max(a.n, b.n) }),
  covers: (a, b) => a.p >= b.p && a.n >= b.n,
  step: (from, to) => Math.max(to.p - from.p, to.n - from.n),
  show: (e) => `(+${e.p}, -${e.n})`,
};

/**
 * A counter entry is its owner's alone, and only grows. A delta may not remove another
 * replica's entry (`foreign-removal`); it may remove entries of its writer only if what remains
 * of that part of the replica's totals, with the delta's new entries, still reaches what it had
 * (`counter-decrease`): a newer entry replaces older ones, an older delta delivered after a
 * newer one (it removes the entry the newer one already replaced) passes, and so does a write
 * the receiver has seen, delivered again under a map key, which removes what it replaced then (a
 * removal of the key may have taken that write here and left the older entry). A new entry may
 * not be below its part's totals (`counter-decrease`) nor more than `maxCounterStep` above them
 * (`counter-increment`). Entries the receiver has seen are no-ops in a merge, so only new ones
 * are compared. `order` says what an entry's totals are.
 */
export function checkCounterDelta<E>(
  kind: DotStoreKind<DotFun<E>>,
  current: DotFun<E>,
  delta: DotFun<E>,
  check: DeltaCheck,
  order: CounterOrder<E>,
): void {
  // Allocated only when the delta removes an entry (a replica's first write removes none).
  let removed: Set<DotEntry<E>> | undefined;
  kind.someRemoved(current, delta, check.context, (replica, seq) => {
    if (!check.writer.has(replica)) {
      throw new ValidationError(
        'foreign-removal',
        `the delta removes the counter entry of replica ${replica}, which only that replica may replace`,
      );
    }
    removed ??= new Set();
    removed.add(current.find((e) => e.replica === replica && e.seq === seq)!);
    return false;
  });
  for (const e of delta) {
    if (check.seen(e.replica, e.seq)) continue;
    const before = partTotals(order, current, e.replica, e.value);
    if (!order.covers(e.value, before)) {
      throw new ValidationError(
        'counter-decrease',
        `counter entry of replica ${e.replica} goes down from ${order.show(before)} to ${order.show(e.value)}`,
      );
    }
    if (order.step(before, e.value) > check.maxCounterStep) {
      throw new ValidationError(
        'counter-increment',
        `counter entry of replica ${e.replica} moves by more than ${check.maxCounterStep} in one delta`,
      );
    }
  }
  if (removed === undefined) return;
  const taken = removed;
  for (const gone of taken) {
    // Under a map key, a newer write of the replica that the receiver has seen may have
    // replaced this entry in its writer's history and then been taken here by a removal of the
    // key that did not cover this older entry: the delta is that write, delivered again or
    // late, and its removals are the ones it made then. Removing the key may take any entry
    // under it, so this grants the writer nothing. A top-level counter has no removal: there a
    // seen newer write (or its successor) is still held and counts in `kept` below, and a dot
    // the receiver knows only from a context proves nothing.
    const replacedBefore =
      check.removable === true &&
      delta.some(
        (e) =>
          e.replica === gone.replica &&
          e.seq > gone.seq &&
          order.samePart(e.value, gone.value) &&
          check.seen(e.replica, e.seq),
      );
    if (replacedBefore) continue;
    // What stays of the part: the entries kept here, and those the delta adds.
    const kept = partTotals(
      order,
      current,
      gone.replica,
      gone.value,
      undefined,
      (e) => !taken.has(e),
    );
    const left = partTotals(
      order,
      delta,
      gone.replica,
      gone.value,
      kept,
      (e) => !check.seen(e.replica, e.seq),
    );
    if (!order.covers(left, gone.value)) {
      throw new ValidationError(
        'counter-decrease',
        `the delta drops the counter entry of replica ${gone.replica} without one as high`,
      );
    }
  }
}

/**
 * A register changes only by a write: a delta carries exactly one entry, the write (new, or
 * delivered again), which replaces what its writer had seen. Otherwise it is refused
 * (`register-write`): a delta with no entry would clear the register, one with several would
 * invent concurrent writes of one writer. A write delivered late cannot clear it either: the
 * write that superseded it is still there, or its own successor is. Only a register that is the
 * value of a map key may become empty, since removing the key is the map's own operation.
 */
export function checkRegisterWrite<V>(
  kind: DotStoreKind<DotFun<V>>,
  current: DotFun<V>,
  delta: DotFun<V>,
  check: DeltaCheck,
): void {
  if (delta.length !== 1) {
    throw new ValidationError(
      'register-write',
      `a register delta carries exactly one write, not ${delta.length}`,
    );
  }
  const [write] = delta;
  if (check.removable || current.length === 0 || !check.seen(write!.replica, write!.seq)) return;
  let removed = 0;
  kind.someRemoved(current, delta, check.context, () => {
    removed++;
    return false;
  });
  if (removed === current.length) {
    throw new ValidationError('register-write', 'a known write may not clear the register');
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
