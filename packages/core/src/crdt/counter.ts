import type { ReplicaId } from '../causal/replica-id.js';
import { InvalidArgumentError } from '../errors.js';
import { checkCounterDelta, type DeltaCheck } from './admission.js';
import { type Actor, type CrdtState, CrdtType } from './crdt-type.js';
import { type DotEntry, type DotFun, dotFunKind } from './dot-fun.js';
import { type CounterEntry, counterValues, growOnlyValues } from './entry-values.js';
import { entryAt, replacingContext } from './mutation.js';
import { registerType } from './registry.js';
import { TypeIds } from './type-ids.js';

export type CounterState = CrdtState<DotFun<CounterEntry>>;

function assertAmount(amount: number): void {
  if (!Number.isSafeInteger(amount) || amount <= 0) {
    throw new InvalidArgumentError(`a counter moves by a positive safe integer, not ${amount}`);
  }
}

/**
 * Each replica's current entry: its latest, the one with the greatest seq. A state can hold two
 * entries of one replica for a while: a delta delivered late (after a newer one from the same
 * replica) brings back an older entry until anti-entropy removes it. The latest entry is the
 * replica's contribution, whatever arrived since: its totals are the greatest, unless the older
 * one belongs to a cart line that was removed and added again since (then the latest counts from
 * zero, and the older one is a superseded value that must not show).
 */
function latestByReplica(store: DotFun<CounterEntry>): Map<ReplicaId, DotEntry<CounterEntry>> {
  const latest = new Map<ReplicaId, DotEntry<CounterEntry>>();
  for (const e of store) {
    const seen = latest.get(e.replica);
    if (seen === undefined || e.seq > seen.seq) latest.set(e.replica, e);
  }
  return latest;
}

/**
 * Both counters keep one entry per replica: its running totals, tagged with the dot of its
 * latest change. A change replaces the replica's previous entries, so the state is one entry per
 * replica that ever wrote, whatever the history.
 */
function bump(state: CounterState, actor: Actor, dp: number, dn: number): CounterState {
  const own = state.store.filter((e) => e.replica === actor.replica);
  const { p, n } = latestByReplica(own).get(actor.replica)?.value ?? { p: 0, n: 0 };
  if (p + dp > Number.MAX_SAFE_INTEGER || n + dn > Number.MAX_SAFE_INTEGER) {
    throw new InvalidArgumentError('counter would exceed Number.MAX_SAFE_INTEGER');
  }
  const next = state.context.next(actor.replica);
  return {
    context: replacingContext(own, next),
    store: [entryAt(next, { p: p + dp, n: n + dn })],
  };
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
