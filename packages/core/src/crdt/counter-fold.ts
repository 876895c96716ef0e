import { CausalContext } from '../causal/causal-context.js';
import { assertEpoch, FOLD_REPLICA, isRetiredBy } from '../causal/replica-epoch.js';
import { InvalidArgumentError } from '../errors.js';
import type { CrdtState } from './crdt-type.js';
import { type DotFun, latestByReplica } from './dot-fun.js';
import type { CounterEntry } from './entry-values.js';

/**
 * The fold of a counter: the delta that replaces the entries of every replica of an epoch below
 * `frontier`, and the previous fold, by one entry at the dot (`FOLD_REPLICA`, `frontier`) that
 * holds the sum of their totals. Its context is the fold dots `[1, frontier]`, whose greatest is
 * the frontier: a receiver thereby counts every dot of those replicas as seen, drops their
 * entries (seen by the delta, absent from its store), ignores them when they arrive late, and
 * forgets their ids. The value does not change.
 *
 * Precondition (the caller's, a relay's, to establish; see docs/compaction.md): every replica
 * of an epoch below `frontier` is retired, and `state` has seen every dot they minted. Then any
 * state that meets it folds to the same entry, byte for byte, so folds made concurrently in
 * several regions are one event, and joining them counts it once.
 *
 * @throws {InvalidArgumentError} when `frontier` is not above the state's frontier or is not
 * 1–65536, or when a total would pass `Number.MAX_SAFE_INTEGER`.
 */
export function foldRetired(
  state: CrdtState<DotFun<CounterEntry>>,
  frontier: number,
): CrdtState<DotFun<CounterEntry>> {
  assertEpoch(frontier - 1);
  if (frontier <= state.context.frontier) {
    throw new InvalidArgumentError(
      `the counter is folded up to epoch ${state.context.frontier} already, not below ${frontier}`,
    );
  }
  let p = 0;
  let n = 0;
  for (const e of latestByReplica(state.store).values()) {
    if (e.replica !== FOLD_REPLICA && !isRetiredBy(e.replica, frontier)) continue;
    p += e.value.p;
    n += e.value.n;
  }
  if (p > Number.MAX_SAFE_INTEGER || n > Number.MAX_SAFE_INTEGER) {
    throw new InvalidArgumentError('the fold would exceed Number.MAX_SAFE_INTEGER');
  }
  return {
    context: new CausalContext().addRange(FOLD_REPLICA, 1, frontier),
    store: [{ replica: FOLD_REPLICA, seq: frontier, value: { p, n } }],
  };
}
