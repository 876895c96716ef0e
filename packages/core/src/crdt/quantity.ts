import { CausalContext } from '../causal/causal-context.js';
import { InvalidArgumentError, StateRefusalError, ValidationError } from '../errors.js';
import type { DeltaCheck } from './admission.js';
import { type Actor, type CrdtState, CrdtType } from './crdt-type.js';
import { type DotEntry, type DotFun, dotFunKind } from './dot-fun.js';
import { presence } from './entry-values.js';
import { assertAmount, removingContext } from './mutation.js';
import { registerType } from './registry.js';
import { TypeIds } from './type-ids.js';

/** A quantity's store: one dot per live unit, with no payload. */
export type QuantityState = CrdtState<DotFun<true>>;

/**
 * The most units one write may add, and one delta bring (admission refuses more, as
 * `counter-increment`). A unit costs one dot in every replica's state, so a quantity is for
 * small counts: a thousand is far beyond a cart line, and keeps a hostile delta small.
 */
export const MAX_QUANTITY_STEP = 1_000;

/**
 * A quantity was asked to go below zero: nothing was applied. `available` is the value the
 * replica had, all of which it could have removed.
 */
export class QuantityBelowZeroError extends StateRefusalError<'quantity-below-zero'> {
  readonly requested: number;
  readonly available: number;

  constructor(requested: number, available: number) {
    super(
      'quantity-below-zero',
      `a quantity of ${available} cannot go down by ${requested}: it never goes below zero`,
    );
    this.requested = requested;
    this.available = available;
  }
}

/**
 * The order in which a decrement takes units: the greatest `(seq, replica)` first. It depends on
 * the units alone, not on who decrements nor on the rest of the state, so decrements that saw
 * the same units take the same ones; and per replica it takes the latest first.
 */
function latestFirst(a: DotEntry<true>, b: DotEntry<true>): number {
  if (a.seq !== b.seq) return b.seq - a.seq;
  if (a.replica === b.replica) return 0;
  return a.replica < b.replica ? 1 : -1;
}

/**
 * Quantity: a count that never goes below zero, kept as an observed-remove bag of *units*. Each
 * unit added is a dot of its own; the value is the number of live units. A decrement removes
 * units it has seen, chosen by a fixed order over the units (the greatest `(seq, replica)`
 * first), so concurrent decrements that saw the same units remove the same ones: three tabs at 2
 * that each take one away offline end at 1, and a quantity never shows less than zero. Two
 * concurrent decrements count once where they took the same units (from the same view, the
 * result is what the larger of them left), so the value is at least increments less decrements;
 * a decrement never takes a unit twice, and never one added concurrently.
 *
 * As the value of an OR-Map (a cart line), removing the key drops the units the remover has
 * seen, and a concurrent increment brings the line back with exactly the units the remover had
 * not seen, where a PN-Counter line would come back with its writer's whole running total. A
 * line at zero holds no dot, so its key is gone.
 *
 * Cost: one dot per live unit, plus the context (units removed fold into each replica's gap-free
 * range). Use it for small counts (cart lines, seats of one booking); a PN-Counter for large
 * totals (one entry per replica, whatever the value); a Bounded Counter for stock shared by many
 * writers.
 */
export class QuantityType extends CrdtType<DotFun<true>, number> {
  readonly typeId = TypeIds.quantity;
  readonly name = 'quantity';
  readonly kind = dotFunKind(presence);

  /**
   * Removing units is every writer's right (a decrement, a reset, removing a map key). Adding is
   * its own replicas' alone (`foreign-dot`, checked for every type) and bounded: at most
   * {@link MAX_QUANTITY_STEP} new units, and at most the receiver's `maxCounterStep`, in one
   * delta (`counter-increment`). Units carry no payload, so there is nothing else to forge.
   */
  override checkDelta(_current: DotFun<true>, delta: DotFun<true>, check: DeltaCheck): void {
    const limit = Math.min(MAX_QUANTITY_STEP, check.maxCounterStep);
    let added = 0;
    for (const e of delta) if (!check.seen(e.replica, e.seq)) added++;
    if (added > limit) {
      throw new ValidationError(
        'counter-increment',
        `the delta adds ${added} units to a quantity; one delta may add at most ${limit}`,
      );
    }
  }

  /** The number of live units. */
  value(state: QuantityState): number {
    return state.store.length;
  }

  /**
   * Adds `amount` units (a positive integer up to {@link MAX_QUANTITY_STEP}, default 1): the
   * actor's next `amount` dots. Returns the delta.
   */
  increment(state: QuantityState, actor: Actor, amount = 1): QuantityState {
    assertAmount(amount);
    if (amount > MAX_QUANTITY_STEP) {
      throw new InvalidArgumentError(
        `a quantity grows by at most ${MAX_QUANTITY_STEP} in one write, not ${amount}`,
      );
    }
    const { replica, seq: first } = state.context.next(actor.replica);
    const store: DotFun<true> = [];
    for (let seq = first; seq < first + amount; seq++) store.push({ replica, seq, value: true });
    return { context: new CausalContext().addRange(replica, first, first + amount - 1), store };
  }

  /**
   * Removes `amount` of the units this replica sees (a positive safe integer, default 1), the
   * greatest `(seq, replica)` first. Returns the delta.
   * @throws {QuantityBelowZeroError} when the value is less than `amount`; nothing is returned.
   */
  decrement(state: QuantityState, actor: Actor, amount = 1): QuantityState {
    assertAmount(amount);
    if (amount > state.store.length) throw new QuantityBelowZeroError(amount, state.store.length);
    const taken = state.store.slice().sort(latestFirst).slice(0, amount);
    return this.#removing(state, actor, taken);
  }

  /** Removes every unit this replica sees: units added concurrently stay. Returns the delta. */
  reset(state: QuantityState, actor: Actor): QuantityState {
    return this.#removing(state, actor, state.store);
  }

  #removing(state: QuantityState, actor: Actor, units: DotFun<true>): QuantityState {
    return {
      context: removingContext(units, state.context.next(actor.replica)),
      store: this.kind.empty(),
    };
  }
}

export const Quantity: QuantityType = new QuantityType();
registerType(Quantity.typeId, () => Quantity);
