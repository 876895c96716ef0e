/**
 * Benchmark entry point: `node src/run.mjs <suite> [--quick]`.
 * From the repository root: `npm run bench -- core [--quick]` (build @helios/core first).
 */

import { positionals } from './args.mjs';
import { loadAverage, machineInfo, writeResults } from './results.mjs';
import { markdownTable, textTable } from './table.mjs';

const SUITES = {
  core: async () => (await import('./core.mjs')).runCore,
  relay: async () => (await import('./relay.mjs')).runRelay,
  'relay-scale': async () => (await import('./relay-scale.mjs')).runRelayScale,
  client: async () => (await import('./client.mjs')).runClient,
  flood: async () => (await import('./flood.mjs')).runFlood,
  sql: async () => (await import('./sql.mjs')).runSql,
  stock: async () => (await import('./stock.mjs')).runStock,
  presence: async () => (await import('./presence.mjs')).runPresence,
  quic: async () => (await import('./quic.mjs')).runQuic,
  ...(await import('./mr/suites.mjs')).SUITES,
};

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const suite = positionals(args)[0];
const markdown = args.includes('--markdown');
const onlyArg = args.find((a) => a.startsWith('--only='));
const only = onlyArg === undefined ? undefined : onlyArg.slice('--only='.length).split(',');

if (suite === undefined || !Object.hasOwn(SUITES, suite)) {
  console.error(
    `usage: node src/run.mjs <${Object.keys(SUITES).join('|')}> [--quick] [--markdown] [--peer-transport ws|quic]`,
  );
  process.exit(2);
}

if (typeof globalThis.gc !== 'function') {
  console.error('note: run with --expose-gc (as `npm run bench` does) to collect between sections');
}

/**
 * A suite returns its result rows, or the rows with the configuration they were taken with and,
 * for a run of another setup than the default (`--peer-transport quic`), the variant its results
 * file is named after (`faults-quic.json`), so it does not replace the default's figures.
 * @type {(opts: { quick: boolean, log: (s: string) => void, only?: string[] }) =>
 *   Promise<import('./core.mjs').Result[] |
 *     { results: import('./core.mjs').Result[], config: unknown, variant?: string }>}
 */
let run;
try {
  run = await SUITES[/** @type {keyof typeof SUITES} */ (suite)]();
} catch (err) {
  if (/** @type {NodeJS.ErrnoException} */ (err).code === 'ERR_MODULE_NOT_FOUND') {
    console.error(`${err}\nIs @helios/core built? Run: cd packages/core && npx tsc -b`);
    process.exit(1);
  }
  throw err;
}

const machine = machineInfo();
const started = performance.now();
const log = (/** @type {string} */ s) =>
  console.log(`[${((performance.now() - started) / 1000).toFixed(1)}s] ${s}`);
log(`${suite}${quick ? ' (quick)' : ''} on node ${process.version}`);
const out = await run(only === undefined ? { quick, log } : { quick, log, only });
const results = Array.isArray(out) ? out : out.results;
const report = {
  // The load after the run includes the benchmark's own busy core.
  machine: { ...machine, loadAverage1mAfter: loadAverage() },
  date: new Date().toISOString(),
  mode: quick ? 'quick' : 'full',
  ...(only === undefined ? {} : { only }),
  durationS: Math.round((performance.now() - started) / 100) / 10,
  ...(Array.isArray(out) ? {} : { config: out.config }),
  results,
};
// A quick run is a smoke test: it must not overwrite the reference figures of a full run.
// Nor must a partial run (--only).
const variant = Array.isArray(out) || out.variant === undefined ? '' : `-${out.variant}`;
const path = writeResults(
  `${suite}${variant}${quick || only !== undefined ? '-quick' : ''}`,
  report,
);

console.log(`\n${markdown ? markdownTable(results) : textTable(results)}\n`);
console.log('ratio > 1 means Helios is better (ours/peer for throughput, peer/ours otherwise).');
const goals = results.filter((r) => r.goal !== undefined);
const missed = goals.filter((r) => !r.goalMet);
console.log(`goals: ${goals.length - missed.length}/${goals.length} met`);
for (const r of missed) console.log(`  missed: ${r.metric} vs ${r.peer ?? '-'} (goal ${r.goal})`);
console.log(`wrote ${path} in ${report.durationS} s`);
