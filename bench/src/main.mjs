/**
 * `npm run bench [-- <suite> [flags]]`:
 *
 * - no suite: every suite of run.mjs's table in quick mode, each in a fresh process, one after
 *   the other; prints how long each took (the whole set is meant to stay under 10 minutes);
 * - `docs`: rewrites the figures and charts of docs/benchmarks.md from bench/results/;
 * - anything else: run.mjs as before (`core`, `relay`, `faults --full`, …).
 */
import { spawn, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { positionals } from './args.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const positional = positionals(args);
const BUDGET_S = 600;

if (positional[0] === 'docs') {
  (await import('./mr/report.mjs')).writeReport();
} else if (positional.length > 0) {
  await import('./run.mjs');
} else {
  await runAll();
}

/** The suites run.mjs knows, read from its usage line (so a newly registered suite runs too). */
function suites() {
  const probe = spawnSync(process.execPath, [join(here, 'run.mjs')], { encoding: 'utf8' });
  const m = /<([\w|-]+)>/.exec(probe.stderr);
  if (m === null) throw new Error(`cannot read the suite list from run.mjs:\n${probe.stderr}`);
  return /** @type {string} */ (m[1]).split('|');
}

async function runAll() {
  const list = suites();
  console.log(`quick run of every suite: ${list.join(', ')}\n`);
  /** @type {{ suite: string, seconds: number, code: number | null }[]} */
  const done = [];
  const started = performance.now();
  for (const suite of list) {
    const t0 = performance.now();
    const child = spawn(
      process.execPath,
      ['--expose-gc', join(here, 'run.mjs'), suite, '--quick', ...args],
      { stdio: 'inherit' },
    );
    // Ctrl-C reaches the child through the terminal; a plain SIGTERM to us is passed on.
    const forward = () => child.kill('SIGTERM');
    process.once('SIGTERM', forward);
    const code = await new Promise((resolve) => child.once('exit', (c) => resolve(c)));
    process.off('SIGTERM', forward);
    done.push({ suite, seconds: (performance.now() - t0) / 1000, code });
    console.log(
      `\n── ${suite}: ${code === 0 ? 'ok' : `FAILED (${code})`} in ${((performance.now() - t0) / 1000).toFixed(0)} s\n`,
    );
  }
  const total = (performance.now() - started) / 1000;
  console.log('suite           seconds  result');
  for (const d of done) {
    console.log(
      `${d.suite.padEnd(15)} ${d.seconds.toFixed(0).padStart(7)}  ${d.code === 0 ? 'ok' : 'FAILED'}`,
    );
  }
  console.log(`${'total'.padEnd(15)} ${total.toFixed(0).padStart(7)}`);
  if (total > BUDGET_S)
    console.log(`warning: the quick set took more than ${BUDGET_S / 60} minutes`);
  if (done.some((d) => d.code !== 0)) process.exitCode = 1;
}
