import { InvalidArgumentError } from '../errors.js';
import { checkCounterDelta, counterOrder, type DeltaCheck } from './admission.js';
import { type ConflictDescription, type ConflictScope, describeCounter } from './conflicts.js';
import { foldRetired } from './counter-fold.js';
import { type Actor, type CrdtState, CrdtType } from './crdt-type.js';
import { type DotFun, dotFunKind, latestByReplica } from './dot-fun.js';
import { type CounterEntry, counterValues, growOnlyValues } from './entry-values.js';
import { assertAmount, assertNotRetired, replaceOwnEntry } from './mutation.js';
import { registerType } from './registry.js';
import { TypeIds } from './type-ids.js';

export type CounterState = CrdtState<DotFun<CounterEntry>>;

/**
 * Both counters keep one entry per replica, its running totals under the dot of its latest
 * change: a change replaces the replica's previous entries.
 */
function bump(state: CounterState, actor: Actor, dp: number, dn: number): CounterState {
  assertNotRetired(state, actor);
  return replaceOwnEntry<CounterEntry>(state, actor, ({ p, n } = { p: 0, n: 0 }) => {
    if (p + dp > Number.MAX_SAFE_INTEGER || n + dn > Number.MAX_SAFE_INTEGER) {
      throw new InvalidArgumentError('counter would exceed Number.MAX_SAFE_INTEGER');
    }
    return { p: p + dp, n: n + dn };
  });
}

/** The sum of every replica's latest entry. */
function sum(state: CounterState): number {
  let total = 0;
  for (const e of latestByReplica(state.store).values()) total += e.value.p - e.value.n;
  return total;
}

/** What both counters share: entries, validation, the sum and increments. */
abstract class CounterType extends CrdtType<DotFun<CounterEntry>, number> {
  override checkDelta(
    current: DotFun<CounterEntry>,
    delta: DotFun<CounterEntry>,
    check: DeltaCheck,
  ): void {
    checkCounterDelta(this.kind, current, delta, check, counterOrder);
  }

  value(state: CounterState): number {
    return sum(state);
  }

  override describeConflicts(
    merged: DotFun<CounterEntry>,
    delta: DotFun<CounterEntry>,
    scope: ConflictScope,
  ): ConflictDescription[] {
    const found = delta.length > 0 ? describeCounter(merged, scope) : undefined;
    return found ? [found] : [];
  }

  /**
   * Folds the entries of every replica of an epoch below `frontier` into one entry, the fold
   * (see `foldRetired`). Only a relay may do this, and only when every such replica is retired
   * and `state` holds all their writes. Returns the delta.
   */
  fold(state: CounterState, frontier: number): CounterState {
    return foldRetired(state, frontier);
  }

  /** Adds `amount` (a positive safe integer, default 1). Returns the delta. */
  increment(state: CounterState, actor: Actor, amount = 1): CounterState {
    assertAmount(amount);
    return bump(state, actor, amount, 0);
  }
}

/** Grow-only counter: the sum of per-replica increments. Page views, downloads. */
export class GCounterType extends CounterType {
  readonly typeId = TypeIds.gCounter;
  readonly name = 'g-counter';
  readonly kind = dotFunKind(growOnlyValues);
}

/** Counter with increments and decrements: likes, cart quantities. */
export class PNCounterType extends CounterType {
  readonly typeId = TypeIds.pnCounter;
  readonly name = 'pn-counter';
  readonly kind = dotFunKind(counterValues);

  /** Subtracts `amount` (a positive safe integer, default 1). Returns the delta. */
  decrement(state: CounterState, actor: Actor, amount = 1): CounterState {
    assertAmount(amount);
    return bump(state, actor, 0, amount);
  }
}

export const GCounter: GCounterType = new GCounterType();
export const PNCounter: PNCounterType = new PNCounterType();
registerType(GCounter.typeId, () => GCounter);
registerType(PNCounter.typeId, () => PNCounter);
