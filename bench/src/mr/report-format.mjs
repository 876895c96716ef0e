/**
 * How docs/benchmarks.md shows a suite's results: its rows as a table with their methods, where
 * they come from, and the charts beside it (see report.mjs).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt } from './svg.mjs';

export const benchDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const docsDir = join(benchDir, '..', 'docs');
export const chartsDir = join(docsDir, 'benchmarks');

/**
 * @typedef {import('../core.mjs').Result & { pair?: string, oneWayMs?: number, workload?: string, transport?: string }} Row
 * @typedef {{ machine: Record<string, any>, date: string, mode: string, durationS: number, results: Row[], file: string, config?: Record<string, any> }} Report
 */

/** @param {Report | undefined} r @param {string} metric @param {string} [workload] */
export function find(r, metric, workload) {
  return r?.results.find(
    (x) => x.metric === metric && (workload === undefined || x.workload === workload),
  );
}

/** A figure as shown: `fmt`, except that a share just under 100 % never shows as 100. */
export const shown = (/** @type {number} */ v, /** @type {string} */ unit) =>
  unit === '%' && v < 100 && fmt(v) === '100' ? String(v) : fmt(v);

export const value = (/** @type {Row | undefined} */ x) =>
  x === undefined
    ? '—'
    : `${shown(x.value, x.unit)} ${x.unit === '%' ? '%' : x.unit}`.replace(' %', ' %');

export const status = (/** @type {Row | undefined} */ x) =>
  x?.goal === undefined ? '' : x.goalMet ? '**met**' : '**missed**';

/** A compact table of rows, then each figure's method in a collapsible list. */
export function table(
  /** @type {Row[]} */ rows,
  /** @type {(r: Row) => string} */ label = (r) => `\`${r.metric}\``,
) {
  const lines = ['| figure | value | goal | |', '| --- | ---: | --- | --- |'];
  for (const r of rows) {
    const peer = r.peer
      ? ` (${r.peer}: ${fmt(/** @type {number} */ (r.peerValue))} ${r.unit}, ratio ${fmt(/** @type {number} */ (r.ratio))}×)`
      : '';
    lines.push(`| ${label(r)} | ${value(r)}${peer} | ${r.goal ?? ''} | ${status(r)} |`);
  }
  const notes = rows.filter((r) => r.note).map((r) => `- ${label(r)}: ${r.note}`);
  return `${lines.join('\n')}\n\n<details><summary>How each figure is taken</summary>\n\n${notes.join('\n')}\n\n</details>`;
}

export const source = (/** @type {Report | undefined} */ r) =>
  r === undefined
    ? '_Not run yet._'
    : `_From \`bench/results/${r.file}\` (${r.mode} run, ${r.date.slice(0, 16).replace('T', ' ')} UTC, ${fmt(r.durationS)} s; load average ${r.machine.loadAverage1m} before, ${r.machine.loadAverage1mAfter} after)._`;

/** "1 update", "2 updates", "? updates". */
export const plural = (/** @type {number | undefined} */ n, /** @type {string} */ word) =>
  `${n ?? '?'} ${word}${n === 1 ? '' : 's'}`;

/** @param {string} name @param {string} svg */
export function chart(name, svg) {
  mkdirSync(chartsDir, { recursive: true });
  writeFileSync(join(chartsDir, name), svg);
}
