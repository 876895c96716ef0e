/**
 * The breakdown of the browser suite's commits (see browser/commit-probe.js): percentiles of
 * each phase of a write's way to receipt `local`, and what the slowest writes were doing.
 */
import { percentile } from '../stats.mjs';
import { r2 } from './common.mjs';

/**
 * @typedef {{ write: number, beforeTx: number, tx: number, txCall: number, afterTx: number, broadcast: number, ops: number,
 *   stores: string, otherTxs: string }} Phases
 */

const PHASES = /** @type {const} */ (['write', 'beforeTx', 'tx', 'txCall', 'afterTx', 'broadcast']);

/**
 * Logs p50/p90/p99 of each phase over `writes`, then the phases of the slowest 1% by `local`.
 * @param {(s: string) => void} log
 * @param {string} label
 * @param {{ local: number, phases: Phases }[]} writes
 */
export function logPhases(log, label, writes) {
  const cells = PHASES.map((name) => {
    const xs = writes.map((w) => w.phases[name]).filter((x) => Number.isFinite(x));
    if (xs.length === 0) return `${name} —`;
    return `${name} ${r2(percentile(xs, 50))}/${r2(percentile(xs, 90))}/${r2(percentile(xs, 99))}`;
  });
  const ops = new Map();
  for (const w of writes) ops.set(w.phases.ops, (ops.get(w.phases.ops) ?? 0) + 1);
  const shared = writes.filter((w) => w.phases.otherTxs !== '').length;
  log(
    `browser: ${label} phases (ms, p50/p90/p99): ${cells.join(', ')}; requests per commit ${[...ops].map(([k, v]) => `${k}×${v}`).join(' ')}; other readwrite transactions before the receipt in ${shared} writes`,
  );
  const slow = [...writes]
    .sort((a, b) => b.local - a.local)
    .slice(0, Math.ceil(writes.length / 100));
  for (const w of slow) {
    const p = w.phases;
    log(
      `  slow ${r2(w.local)} ms: write ${r2(p.write)}, before ${r2(p.beforeTx)}, tx ${r2(p.tx)} (${p.stores}, ${p.ops} requests), after ${r2(p.afterTx)}, broadcast +${r2(p.broadcast)}${p.otherTxs ? `; others: ${p.otherTxs}` : ''}`,
    );
  }
}
