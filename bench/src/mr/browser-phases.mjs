/**
 * The breakdown of the browser suite's commits (see browser/commit-probe.js): percentiles of
 * each phase of a write's way to receipt `local`, and what the slowest writes were doing; and of
 * its way on to the other tab's listener (see browser/tab-probe.js).
 */
import { percentile } from '../stats.mjs';
import { r2 } from './common.mjs';

/**
 * @typedef {{ write: number, beforeTx: number, tx: number, txCall: number, afterTx: number, broadcast: number,
 *   postCall: number, completeAt: number, postedAt: number, ops: number, stores: string,
 *   otherTxs: string }} Phases
 * @typedef {import('./browser/tab-probe.js').TabRecord} TabRecord
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

/** p50/p90/p99 of `xs` (finite ones), as "a/b/c". */
function spread(/** @type {number[]} */ xs) {
  const ok = xs.filter((x) => Number.isFinite(x));
  if (ok.length === 0) return '—';
  return [50, 90, 99].map((p) => r2(percentile(ok, p))).join('/');
}

/**
 * Logs where a write's way to the other tab goes, from its IndexedDB `complete` in the writer
 * to the other tab's listener, per step (p50/p90/p99, ms): the writer's receipt, its post (and
 * the `postMessage` call itself), BroadcastChannel to the other tab's handler, then there the
 * decode, the causal gate (and the context checks before the merge), the merge and the
 * listeners; and `otherTab − local` write by write.
 * @param {(s: string) => void} log
 * @param {string} label
 * @param {{ seq: number, t0: number, local: number, phases: Phases }[]} writes
 * @param {TabRecord[]} records the other tab's (see browser/tab-probe.js)
 * @param {number} offsetMs the other tab's clock minus the writer's
 */
export function logTabHop(log, label, writes, records, offsetMs) {
  const bySeq = new Map(records.filter((r) => Number.isFinite(r.seq)).map((r) => [r.seq, r]));
  /** @type {Record<string, number[]>} */
  const steps = {
    'complete→receipt': [],
    'receipt→post': [],
    postMessage: [],
    'post→handler': [],
    'event→handler': [],
    'handler→decode': [],
    decode: [],
    'gate+context': [],
    merge: [],
    'merge→listener': [],
    'receipt→listener': [],
  };
  /** @type {number[]} */
  const tails = [];
  for (const w of writes) {
    const r = bySeq.get(w.seq);
    if (r === undefined) continue;
    tails.push(r.end - r.shown);
    const p = w.phases;
    const at = (/** @type {number} */ rel) => w.t0 + rel + offsetMs; // in the other tab's clock
    const push = (/** @type {string} */ k, /** @type {number} */ v) => steps[k]?.push(v);
    push('complete→receipt', w.local - p.completeAt);
    push('receipt→post', p.postedAt - w.local);
    push('postMessage', p.postCall);
    push('post→handler', r.start - at(p.postedAt));
    push('event→handler', r.start - r.stamp);
    push('handler→decode', r.decode - r.start);
    push('decode', r.decoded - r.decode);
    push('gate+context', r.merge - r.decoded);
    push('merge', r.merged - r.merge);
    push('merge→listener', r.shown - r.merged);
    push('receipt→listener', r.shown - at(w.local));
  }
  const cells = Object.entries(steps).map(([k, xs]) => `${k} ${spread(xs)}`);
  log(
    `browser: ${label} other tab (ms, p50/p90/p99; ${tails.length} of ${writes.length} writes shown by the channel): ${cells.join(', ')}; handler after the listener ${spread(tails)}`,
  );
}
