import { CausalContext } from '../causal/causal-context.js';
import type { Dot } from '../causal/dot.js';
import type { DotEntry, DotFun } from './dot-fun.js';

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
