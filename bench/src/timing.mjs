/**
 * Timing primitives over `performance.now()` (sub-µs resolution). Single operations are timed
 * inline with `process.hrtime.bigint()` where they run, so no closure sits inside the timing.
 */
import { median } from './stats.mjs';

/** Collects garbage between sections when node runs with --expose-gc, so one section's
 * garbage is not charged to the next. */
export function collectGarbage() {
  if (typeof globalThis.gc === 'function') globalThis.gc();
}

/**
 * Milliseconds taken by `fn`.
 * @param {() => void} fn
 */
export function timeMs(fn) {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

/**
 * Runs `setup` then times `run(setupResult)`, `runs` times after `warmup` untimed rounds, and
 * returns the median time in ms. Setup is never timed.
 * @template T
 * @param {{ setup: () => T, run: (input: T) => void, runs: number, warmup?: number }} opts
 * @returns {{ medianMs: number, samplesMs: number[] }}
 */
export function medianTime({ setup, run, runs, warmup = 1 }) {
  for (let i = 0; i < warmup; i++) run(setup());
  const samplesMs = [];
  for (let i = 0; i < runs; i++) {
    const input = setup();
    collectGarbage();
    samplesMs.push(timeMs(() => run(input)));
  }
  return { medianMs: median(samplesMs), samplesMs };
}

/**
 * Operations per second of `op`, called in a tight loop. After `warmupMs` of untimed calls (V8
 * needs a few hundred ms to optimize a codec's whole call tree), the loop length is calibrated
 * so one run lasts about `targetMs`; the result is the median over `runs` runs.
 * @param {(i: number) => void} op
 * @param {{ targetMs: number, runs: number, warmupMs: number }} opts
 */
export function opsPerSec(op, { targetMs, runs, warmupMs }) {
  const warmupEnd = performance.now() + warmupMs;
  for (let i = 0; performance.now() < warmupEnd; i++) op(i);
  let n = 1;
  let elapsed = 0;
  while (elapsed < targetMs / 8) {
    n *= 2;
    elapsed = timeMs(() => {
      for (let i = 0; i < n; i++) op(i);
    });
  }
  const iterations = Math.max(1, Math.round((n * targetMs) / elapsed));
  const rates = [];
  for (let r = 0; r < runs; r++) {
    collectGarbage();
    const ms = timeMs(() => {
      for (let i = 0; i < iterations; i++) op(i);
    });
    rates.push((iterations * 1000) / ms);
  }
  return median(rates);
}
