#!/usr/bin/env node
// The `helios-relay` command. npm links a package's bins when it installs, and skips a bin whose
// file does not exist yet: in a fresh clone of the repository `npm ci` runs before any build, so
// the bin cannot point at dist/cli.js (and `npx helios-relay` would then fetch whatever the
// public registry has under that name). This committed file is the bin instead. It runs the
// compiled CLI; where dist/ is missing (a clone not built yet) it compiles the package first with
// the workspace's TypeScript. A published package ships dist/, so there it only runs the CLI.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const cli = new URL('../dist/cli.js', import.meta.url);

if (!existsSync(cli)) build();
await import(cli.href);

/** Compiles @helios/server (and, by its project references, @helios/core) into dist/. */
function build() {
  let tsc;
  try {
    const require = createRequire(import.meta.url);
    const manifest = require.resolve('typescript/package.json');
    tsc = join(dirname(manifest), require(manifest).bin.tsc);
  } catch {
    fail(
      `${fileURLToPath(cli)} is missing and TypeScript is not installed to build it: run "npm run build" in the Helios repository`,
    );
  }
  // stderr, so that the command's own output on stdout stays what scripts expect.
  console.error('helios-relay: dist/ is missing (a fresh clone?): building @helios/server first…');
  // --force: tsc keeps its build info beside tsconfig.json, not in dist/, so after dist/ alone is
  // deleted a plain `tsc -b` would call everything up to date and write nothing.
  const run = spawnSync(process.execPath, [tsc, '-b', '--force', packageDir], {
    stdio: ['ignore', process.stderr, process.stderr],
  });
  if (run.status !== 0 || !existsSync(cli))
    fail(
      `building @helios/server failed (tsc -b --force ${packageDir} exited with ${run.status ?? run.signal})`,
    );
}

function fail(message) {
  console.error(`helios-relay: ${message}`);
  process.exit(1);
}
