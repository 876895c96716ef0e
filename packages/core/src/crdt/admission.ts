import { ValidationError } from '../errors.js';
import type { DotFun } from './dot-fun.js';
import type { CounterEntry, LwwEntry } from './entry-values.js';

/** Limits that type-specific delta checks enforce (see `validateDelta`). */
export interface DeltaBounds {
  /** Largest amount one delta may add to a counter entry. */
  readonly maxCounterStep: number;
  /** Latest wall time (ms) an LWW write may carry. */
  readonly latestWall: number;
  /**
   * Whether the receiver has seen a dot already. Entries it has seen are no-ops in a merge (a
   * retransmission, or a stale delta that a newer one superseded), so they are not checked.
   */
  readonly seen: (replica: string, seq: number) => boolean;
}

/** Counter entries never go down, and go up by at most `maxCounterStep` per delta. */
export function checkCounterEntries(
  current: DotFun<CounterEntry>,
  delta: DotFun<CounterEntry>,
  bounds: DeltaBounds,
): void {
  for (const e of delta) {
    if (bounds.seen(e.replica, e.seq)) continue;
    let p = 0;
    let n = 0;
    for (const c of current) {
      if (c.replica !== e.replica) continue;
      p = Math.max(p, c.value.p);
      n = Math.max(n, c.value.n);
    }
    if (e.value.p < p || e.value.n < n) {
      throw new ValidationError(
        'counter-decrease',
        `counter entry of replica ${e.replica} goes down from (+${p}, -${n}) to (+${e.value.p}, -${e.value.n})`,
      );
    }
    if (e.value.p - p > bounds.maxCounterStep || e.value.n - n > bounds.maxCounterStep) {
      throw new ValidationError(
        'counter-increment',
        `counter entry of replica ${e.replica} moves by more than ${bounds.maxCounterStep} in one delta`,
      );
    }
  }
}

/** LWW writes may not be stamped past the receiver's drift bound. */
export function checkTimestamps(entries: DotFun<LwwEntry>, bounds: DeltaBounds): void {
  for (const e of entries) {
    if (e.value.wall > bounds.latestWall && !bounds.seen(e.replica, e.seq)) {
      throw new ValidationError(
        'clock-drift',
        `a write by replica ${e.replica} is stamped ${e.value.wall - bounds.latestWall} ms past the drift bound`,
      );
    }
  }
}
