import type { CausalContext } from './causal-context.js';
import type { ReplicaId } from './replica-id.js';

/** A causal context in JSON form: per replica, the closed ranges of sequence numbers seen. */
export type ContextRanges = { readonly replica: ReplicaId; readonly ranges: [number, number][] }[];

/** `context` as {@link ContextRanges}, for people and JSON (devtools, a relay's admin endpoint). */
export function contextRanges(context: CausalContext): ContextRanges {
  const out: ContextRanges = [];
  for (const replica of context.replicas()) {
    const flat = context.rangesOf(replica);
    const ranges: [number, number][] = [];
    for (let i = 0; i < flat.length; i += 2) ranges.push([flat[i]!, flat[i + 1]!]);
    out.push({ replica, ranges });
  }
  return out;
}
