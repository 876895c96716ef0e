/**
 * One section of the core suite in its own process (see `runCore`):
 * `node --expose-gc src/core-section.mjs <section> [--quick] [--cpu-time]`. Progress goes to stderr, the
 * results to stdout as JSON.
 */
import { runSections, SECTIONS } from './core.mjs';

const args = process.argv.slice(2);
const name = args.find((a) => !a.startsWith('--'));
if (name === undefined || !SECTIONS.includes(name)) {
  console.error(`usage: node src/core-section.mjs <${SECTIONS.join('|')}> [--quick] [--cpu-time]`);
  process.exit(2);
}
const started = performance.now();
const log = (/** @type {string} */ s) =>
  console.error(`  [${name} ${((performance.now() - started) / 1000).toFixed(1)}s] ${s}`);
const results = runSections({
  quick: args.includes('--quick'),
  log,
  only: [name],
  cpuTime: args.includes('--cpu-time'),
});
process.stdout.write(JSON.stringify(results));
