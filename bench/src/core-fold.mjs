/**
 * Core section on bounded metadata (`retiredFold`): a counter incremented once by each of many
 * replicas, all retired, before and after the fold that compacts them (docs/compaction.md).
 */
import { newEpochReplicaId, PNCounter } from '@helios/core';
import { createRng } from '@helios/test-kit';
import { check, withGoal } from './core-rows.mjs';
import { median } from './stats.mjs';
import { collectGarbage, timeMs } from './timing.mjs';

/** @typedef {import('./core.mjs').Result} Result */
/** @typedef {import('./core.mjs').Config} Config */

/** Numbers of retired replicas of the cost curve; the last is the goal's. */
const SIZES = [1000, 10_000, 100_000];

/**
 * A relay's state of a counter that `n` replicas of epoch 0 incremented once each, as their
 * deltas arrive one by one.
 * @param {number} n
 */
function likedOnceBy(n) {
  const random = createRng(n).bytes;
  const s = PNCounter.empty();
  for (let i = 0; i < n; i++) {
    PNCounter.merge(
      s,
      PNCounter.increment(PNCounter.empty(), { replica: newEpochReplicaId(0, random) }),
    );
  }
  return s;
}

/** @param {Config} cfg @param {(s: string) => void} log @returns {Result[]} */
export function retiredFold(cfg, log) {
  /** @type {Result[]} */
  const results = [];
  /** @type {string[]} */
  const curve = [];
  for (const n of SIZES) {
    const state = likedOnceBy(n);
    const before = PNCounter.encode(state).length;
    /** @type {number[]} */
    const times = [];
    let after = 0;
    for (let run = 0; run < cfg.runs; run++) {
      const s = PNCounter.clone(state);
      collectGarbage();
      // What a relay does: compute the fold, then merge it (dropping the folded entries).
      times.push(timeMs(() => PNCounter.merge(s, PNCounter.fold(s, 1))));
      const bytes = PNCounter.encode(s);
      check(PNCounter.value(PNCounter.decode(bytes)) === n, `the fold of ${n} keeps the value`);
      check(s.store.length === 1, `the fold of ${n} leaves one entry`);
      after = bytes.length;
    }
    const ms = median(times);
    log(`${n} retired replicas: ${before} B before, ${after} B after, fold ${ms.toFixed(2)} ms`);
    curve.push(`${n}: ${before} B → ${after} B, ${ms.toFixed(2)} ms`);
    const k = `${n / 1000}k`;
    results.push({
      metric: `retiredReplicaFold${k}Ms`,
      value: ms,
      unit: 'ms',
      better: 'lower',
      note: `fold + merge of a counter incremented once by each of ${n} retired replicas (median of ${cfg.runs})`,
    });
    if (n !== SIZES[SIZES.length - 1]) continue;
    results.push({
      metric: 'retiredReplicaCounterBytesBeforeFold',
      value: before,
      unit: 'B',
      better: 'lower',
      note: `the same state before the fold: ${n} epoch ids (10 B each), their contexts and entries`,
    });
    results.push(
      withGoal(
        {
          metric: 'retiredReplicaCounterBytes',
          value: after,
          unit: 'B',
          better: 'lower',
          note: `full encoded state (context included) of a PN-Counter incremented once by each of ${n} replicas, all retired, after the fold. Cost curve (retired replicas: bytes before → after, fold time): ${curve.join('; ')}`,
        },
        '<= 1024 B',
        after <= 1024,
      ),
    );
  }
  return results;
}
