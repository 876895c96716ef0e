import { CausalContext } from './causal-context.js';
import type { Ranges } from './ranges.js';
import { FOLD_REPLICA } from './replica-epoch.js';
import type { ReplicaId } from './replica-id.js';

/**
 * Causal readiness of an operation's delta: may a receiver merge it now without showing a state
 * that never existed? (docs/architecture.md §2.1)
 *
 * A write's delta carries, in its context, the dots of the writes it replaces (which its writer
 * had seen) and its own new dot. Merged before one of the writes it replaces, it shows its value
 * next to older ones that its writer had already seen replaced: an MV-Register that reads
 * `[v1, v3]` although `v2` replaced `v1` before `v3` replaced `v2`. Merged after them, it
 * removes what it replaces. So a delta is ready once the receiver has seen every dot of its
 * context but its own new one:
 *
 * - `strict`: at most one dot of the context is unseen. A receiver that merges only such deltas
 *   (and whole states, which are joins of causally closed histories) has seen a dot only if it
 *   merged that dot's write: its state is exactly the join of the writes it has seen, and no
 *   write it holds was replaced by a write it has seen. Clients use this rule.
 * - `one-writer`: the unseen dots all belong to one replica. It also admits a write whose own
 *   earlier writes (named in its context because it replaces them) are still missing, so one of
 *   those can arrive late with a removal the receiver did not apply yet. Relays use it for peer
 *   feeds because it is what they can wait for without a deadlock: a relay admits a client's delta
 *   only when every dot of another replica in its context is known to it (`unknown-context`), so
 *   those dots are in some region's feed ahead of the delta; a writer's own missing dots carry no
 *   such promise (a refused or never-pushed write) and could be waited for forever.
 *
 * What no rule over contexts can see: a write that depends on another without replacing it
 * (setting key `b` after removing key `a`; re-adding a cart line after a removal, which names
 * nothing since the line was gone). Those dependencies are not in the delta.
 *
 * Cost: O(ranges of the delta's context × log ranges of the receiver's context for those
 * replicas), never O(document).
 */
export type ReadinessRule = 'strict' | 'one-writer';

export interface Readiness {
  /** Whether the delta may be merged now under the rule asked for. */
  readonly ready: boolean;
  /**
   * The dots of its context the receiver has not seen: none for a duplicate, its new dot when it
   * is the next write, what it waits for otherwise.
   */
  readonly unseen: CausalContext;
}

/**
 * Dots of `context` that `seen` lacks. `seen` is typically a whole document's context and
 * `context` a delta's: each range of the delta is located in the receiver's ranges by binary
 * search, so the cost follows the delta.
 */
export function unseenDots(context: CausalContext, seen: CausalContext): CausalContext {
  const out = new Map<ReplicaId, Ranges>();
  for (const replica of context.replicas()) {
    // A retired replica's dots are all seen; of the fold dots, only the fold itself is an
    // event: it replaces whichever earlier fold the receiver holds (docs/compaction.md).
    if (seen.isRetired(replica)) continue;
    if (replica === FOLD_REPLICA) {
      const fold = context.max(replica);
      if (!seen.has(replica, fold)) out.set(replica, [fold, fold]);
      continue;
    }
    const theirs = context.rangesOf(replica);
    const mine = seen.rangesOf(replica);
    const rest = mine.length === 0 ? theirs.slice() : subtractSearching(theirs, mine);
    if (rest.length > 0) out.set(replica, rest);
  }
  return new CausalContext(out);
}

/**
 * Whether a delta whose context is `context` may be merged by a receiver that has seen `seen`
 * (see {@link ReadinessRule}). `also`, when given, counts as seen too: deltas released earlier
 * in one pass and not merged yet.
 */
export function causalReadiness(
  context: CausalContext,
  seen: CausalContext,
  rule: ReadinessRule = 'strict',
  also?: CausalContext,
): Readiness {
  let unseen = unseenDots(context, seen);
  if (also !== undefined && !unseen.isEmpty && !also.isEmpty) unseen = unseenDots(unseen, also);
  return { ready: admits(unseen, rule), unseen };
}

/** Whether a delta whose unseen dots are `unseen` is ready under `rule`. */
export function admits(unseen: CausalContext, rule: ReadinessRule): boolean {
  let replicas = 0;
  for (const replica of unseen.replicas()) {
    if (++replicas > 1) return false;
    if (rule === 'strict') {
      const r = unseen.rangesOf(replica);
      if (r.length > 2 || r[0] !== r[1]) return false;
    }
  }
  return true;
}

/**
 * Members of `a` (small) not in `b` (possibly large): for each range of `a`, binary search for
 * the first range of `b` that ends at or after it, then walk the few that overlap it.
 */
function subtractSearching(a: readonly number[], b: readonly number[]): Ranges {
  const out: Ranges = [];
  for (let i = 0; i < a.length; i += 2) {
    let start = a[i]!;
    const end = a[i + 1]!;
    let lo = 0;
    let hi = b.length >> 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (b[mid * 2 + 1]! < start) lo = mid + 1;
      else hi = mid;
    }
    for (let k = lo * 2; k < b.length && b[k]! <= end; k += 2) {
      if (b[k]! > start) out.push(start, b[k]! - 1);
      start = Math.max(start, b[k + 1]! + 1);
      if (start > end) break;
    }
    if (start <= end) out.push(start, end);
  }
  return out;
}
