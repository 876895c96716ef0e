// Runs every example and checks what it prints against its `// expect:` lines, so the docs'
// examples cannot rot. An example declares each expected output line as a comment
// `// expect: <line>`; the example passes when its output equals those lines, in order.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const files = readdirSync(here)
  .filter((f) => /^\d\d-.*\.mjs$/.test(f))
  .sort();
let passed = 0;
let failed = 0;
for (const file of files) {
  const path = join(here, file);
  const expected = [...readFileSync(path, 'utf8').matchAll(/^\/\/ expect: (.*)$/gm)].map(
    (m) => m[1],
  );
  const started = Date.now();
  // Each example must finish well within 20 s (they guard themselves at 15–18 s).
  const run = spawnSync(process.execPath, [path], { encoding: 'utf8', timeout: 20_000 });
  const ms = Date.now() - started;
  const actual = run.stdout.trimEnd().split('\n');
  const ok = run.status === 0 && JSON.stringify(actual) === JSON.stringify(expected);
  if (ok) {
    passed++;
    console.log(`ok   ${file} (${ms} ms)`);
  } else {
    failed++;
    console.log(`FAIL ${file} (exit ${run.status}, ${ms} ms)`);
    console.log(`  expected: ${JSON.stringify(expected)}`);
    console.log(`  actual:   ${JSON.stringify(actual)}`);
    if (run.stderr) console.log(run.stderr);
  }
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
