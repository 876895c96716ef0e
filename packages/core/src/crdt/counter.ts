import { InvalidArgumentError } from '../errors.js';
import { checkCounterDelta, type DeltaCheck } from './admission.js';
import { type Actor, type CrdtState, CrdtType } from './crdt-type.js';
import { type DotFun, dotFunKind } from './dot-fun.js';
import { type CounterEntry, counterValues, growOnlyValues } from './entry-values.js';
import { entryAt, replacingContext } from './mutation.js';
import { registerType } from './registry.js';

export type CounterState = CrdtState<DotFun<CounterEntry>>;

function assertAmount(amount: number): void {
  if (!Number.isSafeInteger(amount) || amount <= 0) {
    throw new InvalidArgumentError(`a counter moves by a positive safe integer, not ${amount}`);
  }
}

/**
 * Both counters keep one entry per replica: its running totals, tagged with the dot of its
 * latest change. A change replaces the replica's previous entry, so the state is one entry per
 * replica that ever wrote, whatever the history.
 */
function bump(state: CounterState, actor: Actor, dp: number, dn: number): CounterState {
  const own = state.store.filter((e) => e.replica === actor.replica);
  let p = 0;
  let n = 0;
  for (const e of own) {
    p = Math.max(p, e.value.p);
    n = Math.max(n, e.value.n);
  }
  if (p + dp > Number.MAX_SAFE_INTEGER || n + dn > Number.MAX_SAFE_INTEGER) {
    throw new InvalidArgumentError('counter would exceed Number.MAX_SAFE_INTEGER');
  }
  const next = state.context.next(actor.replica);
  return {
    context: replacingContext(own, next),
    store: [entryAt(next, { p: p + dp, n: n + dn })],
  };
}

/**
 * A replica's totals only grow, and a delta delivered late (after a newer one from the same
 * replica) brings back an older entry that stays until anti-entropy removes it. Counting each
 * replica's greatest totals, not every entry, keeps such a state from counting updates twice.
 */
function sum(state: CounterState): number {
  const p = new Map<string, number>();
  const n = new Map<string, number>();
  for (const e of state.store) {
    p.set(e.replica, Math.max(p.get(e.replica) ?? 0, e.value.p));
    n.set(e.replica, Math.max(n.get(e.replica) ?? 0, e.value.n));
  }
  let total = 0;
  for (const [replica, inc] of p) total += inc - n.get(replica)!;
  return total;
}

/** What both counters share: entries, validation, the sum and increments. */
abstract class CounterType extends CrdtType<DotFun<CounterEntry>, number> {
  override checkDelta(
    current: DotFun<CounterEntry>,
    delta: DotFun<CounterEntry>,
    check: DeltaCheck,
  ): void {
    checkCounterDelta(this.kind, current, delta, check);
  }

  value(state: CounterState): number {
    return sum(state);
  }

  /** Adds `amount` (a positive safe integer, default 1). Returns the delta. */
  increment(state: CounterState, actor: Actor, amount = 1): CounterState {
    assertAmount(amount);
    return bump(state, actor, amount, 0);
  }
}

/** Grow-only counter: the sum of per-replica increments. Page views, downloads. */
export class GCounterType extends CounterType {
  readonly typeId = 1;
  readonly name = 'g-counter';
  readonly kind = dotFunKind(growOnlyValues);
}

/** Counter with increments and decrements: likes, cart quantities. */
export class PNCounterType extends CounterType {
  readonly typeId = 2;
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
