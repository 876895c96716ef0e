/**
 * Core benchmark: Helios' CRDTs against Yjs, Automerge and Loro, in one process, on the
 * operations an offline-first client performs: local writes, merging concurrent writes, the size
 * of what goes on the wire, set operations on a large set, the codec against msgpackr, and
 * loading a large document from its stored state; and on its own, the size of a counter whose
 * many retired writers were folded.
 *
 * Every Helios figure is taken from the built package (`@helios/core` → packages/core/dist).
 * Each peer is given its fastest documented path for the same job, so the ratios are not
 * flattered (see README.md for what each metric does and does not include).
 */
import { spawnSync } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { awSet } from './core-awset.mjs';
import { codec, deltaBytes } from './core-deltas.mjs';
import { retiredFold } from './core-fold.mjs';
import { load100k } from './core-load.mjs';
import { b31, lwwMapSet } from './core-lww.mjs';
import { rounded } from './core-rows.mjs';
import { collectGarbage, useCpuClock } from './timing.mjs';

/**
 * One line of results. `ratio` is always oriented so that above 1 means Helios is better:
 * ours/peer when higher is better (throughput), peer/ours when lower is better (time, bytes).
 * @typedef {{
 *   metric: string,
 *   value: number,
 *   unit: string,
 *   better: 'higher' | 'lower',
 *   peer?: string,
 *   peerValue?: number,
 *   ratio?: number,
 *   goal?: string,
 *   goalMet?: boolean,
 *   clock?: 'cpu',
 *   note?: string,
 * }} Result
 */

/**
 * @typedef {{
 *   lwwOps: number, lwwKeys: number, automergeOps: number, runs: number,
 *   b31Replicas: number, b31Runs: number,
 *   awSize: number, awSamples: number, awRounds: number,
 *   codecTargetMs: number, codecRuns: number, codecWarmupMs: number,
 *   loadRuns: number,
 * }} Config
 */

/** @type {Config} */
const FULL = {
  lwwOps: 100_000,
  lwwKeys: 1000,
  automergeOps: 2000,
  runs: 5,
  b31Replicas: 1540,
  b31Runs: 5,
  awSize: 100_000,
  awSamples: 10_000,
  awRounds: 3,
  codecTargetMs: 150,
  codecRuns: 5,
  codecWarmupMs: 400,
  loadRuns: 9,
};

/** Same shapes (1540 replicas, 100k-element set), fewer repetitions. */
/** @type {Config} */
const QUICK = {
  lwwOps: 20_000,
  lwwKeys: 1000,
  automergeOps: 300,
  runs: 3,
  b31Replicas: 1540,
  b31Runs: 2,
  awSize: 100_000,
  awSamples: 3000,
  awRounds: 2,
  codecTargetMs: 40,
  codecRuns: 3,
  codecWarmupMs: 150,
  loadRuns: 5,
};

/** The sections of the suite, in the order they run. */
export const SECTIONS = [
  'lwwMapSet',
  'b31',
  'deltaBytes',
  'awSet',
  'codec',
  'load100k',
  'retiredFold',
];

/**
 * Runs the named sections in this process; with `cpuTime`, runs are timed by CPU time (see
 * `useCpuClock`) and the results say so.
 * @param {{ quick: boolean, log: (s: string) => void, only?: readonly string[], cpuTime?: boolean }} opts
 * @returns {Result[]}
 */
export function runSections({ quick, log, only = SECTIONS, cpuTime = false }) {
  const cfg = quick ? QUICK : FULL;
  if (cpuTime) useCpuClock();
  const wanted = (/** @type {string} */ name) => only.includes(name);
  /** @type {Result[]} */
  const results = [];
  const section = (/** @type {string} */ name, /** @type {() => Result[]} */ run) => {
    if (!wanted(name)) return;
    collectGarbage();
    results.push(...run());
  };
  section('lwwMapSet', () => lwwMapSet(cfg, log));
  section('b31', () => b31(cfg, log));
  // The codec section reuses the deltas measured here, so it needs them even when run alone.
  const d = wanted('deltaBytes') || wanted('codec') ? deltaBytes(log) : undefined;
  if (d !== undefined && wanted('deltaBytes')) results.push(...d.rows);
  section('awSet', () => awSet(cfg, log));
  if (d !== undefined) section('codec', () => codec(cfg, log, d));
  section('load100k', () => load100k(cfg, log));
  section('retiredFold', () => retiredFold(cfg, log));
  return results.map((r) => {
    const out = rounded(r);
    // Sizes and single-operation latencies do not depend on the clock of timed runs.
    return cpuTime && r.unit !== 'B' && r.unit !== 'µs' ? { ...out, clock: 'cpu' } : out;
  });
}

const SECTION_ENTRY = fileURLToPath(new URL('./core-section.mjs', import.meta.url));

/**
 * Runs the core suite (or the sections named in `only`), each section in a fresh node process,
 * so that no figure depends on what ran before it (V8's optimization state, a heap grown by
 * 100k-key Yjs documents, Automerge's WASM memory). An app does not run three CRDT libraries
 * side by side either.
 * @param {{ quick: boolean, log: (s: string) => void, only?: readonly string[] }} opts
 * @returns {Result[]}
 */
export function runCore({ quick, log, only = SECTIONS }) {
  // A flag of the core suite only, so it is read here rather than by the shared runner.
  const cpuTime = process.argv.includes('--cpu-time');
  const load = loadavg()[0] ?? 0;
  if (load > availableParallelism() / 2) {
    log(
      `warning: load average ${load.toFixed(2)} on ${availableParallelism()} cores: other processes compete for the CPU, figures will be noisy`,
    );
  }
  /** @type {Result[]} */
  const results = [];
  for (const name of SECTIONS.filter((s) => only.includes(s))) {
    log(`section ${name}`);
    const child = spawnSync(
      process.execPath,
      [
        '--expose-gc',
        SECTION_ENTRY,
        name,
        ...(quick ? ['--quick'] : []),
        ...(cpuTime ? ['--cpu-time'] : []),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
    );
    if (child.status !== 0) {
      throw new Error(`core section ${name} failed (exit ${child.status ?? child.signal})`);
    }
    results.push(.../** @type {Result[]} */ (JSON.parse(child.stdout)));
  }
  return results;
}
