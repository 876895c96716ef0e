import type { CausalContext } from '../causal/causal-context.js';
import type { ReplicaId } from '../causal/replica-id.js';
import type { Key } from '../codec/value.js';
import type { DotFun } from './dot-fun.js';

/**
 * Whether a register (a dot function of writes) that `delta` wrote to holds concurrent writes
 * side by side once merged: 1 if so, else 0. The conflict count of the register types, and of
 * each key of a map of registers.
 */
export function registerConflicts(merged: DotFun<unknown>, delta: DotFun<unknown>): number {
  return delta.length > 0 && merged.length > 1 ? 1 : 0;
}

/** A last-writer-wins write as a conflict shows it: who wrote it, and its hybrid-clock time. */
export interface WriteStamp {
  readonly replica: ReplicaId;
  readonly wall: number;
  readonly counter: number;
}

/**
 * One conflict a merge left, described for people (a devtools panel, a relay's admin endpoint):
 * - `mv-siblings`: a multi-value register holds `siblings` concurrent values side by side;
 * - `lww-overwrite`: concurrent last-writer-wins writes, `winner` the one read (the greatest
 *   `(wall, counter, replica)`), `losers` the ones it beat;
 * - `concurrent-counter`: a counter changed by `replicas` without either seeing the other's change
 *   (both count: counters lose nothing, but the total is one neither writer saw).
 */
export interface ConflictDescription {
  readonly kind: 'mv-siblings' | 'lww-overwrite' | 'concurrent-counter';
  /** The map key, when the conflict is in a map's value (the outermost key of nested maps). */
  readonly key?: Key;
  readonly winner?: WriteStamp;
  readonly losers?: readonly WriteStamp[];
  readonly siblings?: number;
  readonly replicas?: readonly ReplicaId[];
}

/** What a merge is described against (see `CrdtType.describeConflicts`). */
export interface ConflictScope {
  /**
   * The dots the merge brought that the replica had not seen before it: only values with an
   * entry of these are described, so a register whose siblings were already there, resent in a
   * sync reply, is not described again.
   */
  readonly fresh: CausalContext;
  /**
   * Dots the delta's writers cannot have seen (a client: its own writes no relay acknowledged
   * yet). A counter entry of another replica brought beside a live entry of these is a concurrent
   * counter write. Without it, counters describe nothing: their deltas do not say what their
   * writer had seen of other replicas.
   */
  readonly unseen?: CausalContext;
}

/** Whether a value's entries include one the merge brought (see `ConflictScope.fresh`). */
export const isFresh = (entries: DotFun<unknown>, fresh: CausalContext): boolean =>
  entries.some((e) => fresh.has(e.replica, e.seq));

/** A multi-value register left with siblings by a merge that brought one of them. */
export function describeMv(
  merged: DotFun<unknown>,
  scope: ConflictScope,
): ConflictDescription | undefined {
  if (merged.length < 2 || !isFresh(merged, scope.fresh)) return undefined;
  return { kind: 'mv-siblings', siblings: merged.length };
}

/**
 * A counter whose merge brought another replica's change while it holds a change of `unseen`
 * (which that replica cannot have seen): the replicas of both.
 */
export function describeCounter(
  merged: DotFun<unknown>,
  scope: ConflictScope,
): ConflictDescription | undefined {
  const { fresh, unseen } = scope;
  if (unseen === undefined || unseen.isEmpty) return undefined;
  const brought = new Set<ReplicaId>();
  const raced = new Set<ReplicaId>();
  for (const e of merged) {
    if (unseen.has(e.replica, e.seq)) raced.add(e.replica);
    else if (fresh.has(e.replica, e.seq)) brought.add(e.replica);
  }
  for (const r of raced) brought.delete(r);
  if (brought.size === 0 || raced.size === 0) return undefined;
  return { kind: 'concurrent-counter', replicas: [...brought, ...raced] };
}
