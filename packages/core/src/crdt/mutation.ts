import { CausalContext } from '../causal/causal-context.js';
import type { Dot } from '../causal/dot.js';
import { InvalidArgumentError } from '../errors.js';
import type { Actor, CrdtState } from './crdt-type.js';
import { type DotEntry, type DotFun, latestByReplica } from './dot-fun.js';

/**
 * The context of a delta that replaces `observed` entries with a new entry at `next`: the
 * replaced dots (so receivers drop them) and the new one.
 */
export function replacingContext<V>(observed: DotFun<V>, next: Dot): CausalContext {
  const ctx = new CausalContext();
  for (const e of observed) ctx.add(e.replica, e.seq);
  return ctx.add(next.replica, next.seq);
}

/**
 * The context of a delta that removes `observed` entries and adds nothing. It still carries the
 * write's own dot `next`, which no store will hold: every write has an identity, so a client can
 * tell when a removal, too, is durable everywhere. The context stays gap-free per replica.
 */
export function removingContext<V>(observed: DotFun<V> | undefined, next: Dot): CausalContext {
  return replacingContext(observed ?? [], next);
}

export function entryAt<V>(dot: Dot, value: V): DotEntry<V> {
  return { replica: dot.replica, seq: dot.seq, value };
}

/**
 * A retired replica may not write: its dots are all seen everywhere the fold went, so a new one
 * would be dropped as a duplicate. Its writer must take a new replica id (of a current epoch).
 */
export function assertNotRetired(state: CrdtState<unknown>, actor: Actor): void {
  if (state.context.isRetired(actor.replica)) {
    throw new InvalidArgumentError(
      `replica ${actor.replica} is retired in this document: write as a replica of a current epoch`,
    );
  }
}

/** Counters move by positive safe integers. */
export function assertAmount(amount: number): void {
  if (!Number.isSafeInteger(amount) || amount <= 0) {
    throw new InvalidArgumentError(`a counter moves by a positive safe integer, not ${amount}`);
  }
}

/**
 * A counter's change: the delta that replaces every entry of the actor's replica with one new
 * entry holding `value(latest)`, its running totals after the change (`latest` is undefined
 * before its first write). A counter's state is so one entry per replica that ever wrote,
 * whatever the history. With `part`, only the actor's entries it accepts are replaced: a
 * bounded counter keeps each part of a replica's totals in an entry of its own.
 */
export function replaceOwnEntry<V>(
  state: CrdtState<DotFun<V>>,
  actor: Actor,
  value: (latest: V | undefined) => V,
  part: (entry: V) => boolean = () => true,
): CrdtState<DotFun<V>> {
  const own = state.store.filter((e) => e.replica === actor.replica && part(e.value));
  const totals = value(latestByReplica(own).get(actor.replica)?.value);
  const next = state.context.next(actor.replica);
  return { context: replacingContext(own, next), store: [entryAt(next, totals)] };
}
