/**
 * Timing primitives over `performance.now()` (sub-µs resolution). Single operations are timed
 * inline with `process.hrtime.bigint()` where they run, so no closure sits inside the timing.
 *
 * Contenders are timed interleaved (A B C, A B C, …) rather than one after the other: on a
 * shared machine a burst of load from another process then hits every contender alike, which
 * keeps the ratios meaningful even when the absolute figures are not.
 */
import { median } from './stats.mjs';

/** Collects garbage between sections when node runs with --expose-gc, so one section's
 * garbage is not charged to the next. */
export function collectGarbage() {
  if (typeof globalThis.gc === 'function') globalThis.gc();
}

/** Wall time in ms, or (after {@link useCpuClock}) the CPU time this process has used. */
let clockMs = () => performance.now();

/**
 * Times runs by the process's CPU time (`process.cpuUsage`, user + system) instead of wall time.
 * On a busy machine the wall clock also counts the time other processes hold the core; CPU time
 * does not, so it is steadier there. It does count V8's helper threads (concurrent GC and
 * compilation), which run in parallel on an idle machine, so it reads somewhat slower than wall
 * time there. Single-operation latencies are always wall time.
 */
export function useCpuClock() {
  clockMs = () => {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1000;
  };
}

/**
 * Milliseconds taken by `fn`, by the clock in use.
 * @param {() => void} fn
 */
export function timeMs(fn) {
  const t0 = clockMs();
  fn();
  return clockMs() - t0;
}

/**
 * @template T
 * @typedef {{ setup: () => T, run: (input: T) => void }} Contender
 */

/**
 * Median milliseconds of each contender's `run(setup())` over `runs` interleaved rounds, after
 * `warmup` untimed rounds. Setup is never timed.
 * @template {string} K
 * @param {Record<K, Contender<any>>} contenders
 * @param {{ runs: number, warmup?: number }} opts
 * @returns {Record<K, number>}
 */
export function medianTimes(contenders, { runs, warmup = 1 }) {
  const names = /** @type {K[]} */ (Object.keys(contenders));
  /** @type {Record<string, number[]>} */
  const samples = {};
  for (const name of names) samples[name] = [];
  for (let round = 0; round < warmup + runs; round++) {
    for (const name of names) {
      const { setup, run } = contenders[name];
      const input = setup();
      collectGarbage();
      const ms = timeMs(() => run(input));
      if (round >= warmup) samples[name]?.push(ms);
    }
  }
  return /** @type {Record<K, number>} */ (
    Object.fromEntries(names.map((name) => [name, median(samples[name] ?? [])]))
  );
}

/**
 * Operations per second of each op, called in a tight loop. Each op first runs untimed for
 * `warmupMs` (V8 needs a few hundred ms to optimize a codec's whole call tree), then gets a loop
 * length calibrated so one run lasts about `targetMs`; runs are interleaved across ops and the
 * result is each op's median rate.
 * @template {string} K
 * @param {Record<K, (i: number) => void>} ops
 * @param {{ targetMs: number, runs: number, warmupMs: number }} opts
 * @returns {Record<K, number>}
 */
export function opsPerSec(ops, { targetMs, runs, warmupMs }) {
  const names = /** @type {K[]} */ (Object.keys(ops));
  /** @type {Record<string, number>} */
  const iterations = {};
  for (const name of names) {
    const op = ops[name];
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
    iterations[name] = Math.max(1, Math.round((n * targetMs) / elapsed));
  }
  /** @type {Record<string, number[]>} */
  const rates = {};
  for (const name of names) rates[name] = [];
  for (let r = 0; r < runs; r++) {
    for (const name of names) {
      const op = ops[name];
      const count = iterations[name] ?? 1;
      collectGarbage();
      const ms = timeMs(() => {
        for (let i = 0; i < count; i++) op(i);
      });
      rates[name]?.push((count * 1000) / ms);
    }
  }
  return /** @type {Record<K, number>} */ (
    Object.fromEntries(names.map((name) => [name, median(rates[name] ?? [])]))
  );
}
