/** Renders results as a fixed-width text table (stdout) or a Markdown table (README). */

/**
 * Three significant digits, with k/M suffixes for large numbers.
 * @param {number} x
 */
export function formatNumber(x) {
  if (!Number.isFinite(x)) return String(x);
  const abs = Math.abs(x);
  if (abs >= 1e6) return `${(x / 1e6).toPrecision(3)} M`;
  if (abs >= 1e4) return `${(x / 1e3).toPrecision(3)} k`;
  if (abs >= 100 || Number.isInteger(x)) return String(Math.round(x));
  return x.toPrecision(3);
}

/** @param {import('./core.mjs').Result} r */
function row(r) {
  return [
    r.metric,
    `${formatNumber(r.value)} ${r.unit}`,
    r.peer ?? '',
    r.peerValue === undefined ? '' : `${formatNumber(r.peerValue)} ${r.unit}`,
    r.ratio === undefined ? '' : `${r.ratio.toFixed(r.ratio >= 10 ? 1 : 2)}x`,
    r.better,
    r.goal === undefined ? '' : `${r.goal} ${r.goalMet ? 'MET' : 'MISSED'}`,
  ];
}

const HEADER = ['metric', 'helios', 'peer', 'peer value', 'ratio', 'better', 'goal'];

/**
 * @param {readonly import('./core.mjs').Result[]} results
 * @returns {string}
 */
export function textTable(results) {
  const rows = [HEADER, ...results.map(row)];
  const widths = HEADER.map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const line = (/** @type {string[]} */ cells) =>
    cells
      .map((cell, c) => cell.padEnd(widths[c]))
      .join('  ')
      .trimEnd();
  return [
    line(rows[0]),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...rows.slice(1).map(line),
  ].join('\n');
}

/**
 * @param {readonly import('./core.mjs').Result[]} results
 * @returns {string}
 */
export function markdownTable(results) {
  const esc = (/** @type {string} */ s) => s.replaceAll('|', '\\|');
  const lines = [`| ${HEADER.join(' | ')} |`, `|${HEADER.map(() => ' --- ').join('|')}|`];
  for (const r of results) lines.push(`| ${row(r).map(esc).join(' | ')} |`);
  return lines.join('\n');
}
