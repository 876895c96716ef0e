#!/usr/bin/env node
// The `create-helios-app` command (also `npm create helios-app`): plain JavaScript, so that it
// runs from a fresh clone of the Helios repository without a build, as it does once published.
import { parseArgs } from 'node:util';
import { scaffold } from '../src/scaffold.js';
import { ScaffoldError } from '../src/scaffold-error.js';

const USAGE = `create-helios-app — writes a Vite + React + TypeScript app synced through a Helios relay

Usage: create-helios-app <dir> [options]

Options:
  --helios-from <dir>   take @helios/client, @helios/core, @helios/react and
                        @helios/transport from the npm pack tarballs in <dir> instead of the
                        npm registry
  --help                this text`;

/** @type {ReturnType<typeof parseArgs>} */
let args;
try {
  args = parseArgs({
    allowPositionals: true,
    options: { 'helios-from': { type: 'string' }, help: { type: 'boolean' } },
  });
} catch (error) {
  fail(error instanceof Error ? error.message : String(error), true);
}
if (args.values.help) {
  console.log(USAGE);
  process.exit(0);
}
if (args.positionals.length !== 1) fail('name one directory to write the app into', true);

const dir = /** @type {string} */ (args.positionals[0]);
const heliosFrom = args.values['helios-from'];
try {
  const app = scaffold({ dir, ...(typeof heliosFrom === 'string' ? { heliosFrom } : {}) });
  console.log(`Wrote ${app.manifest.name} to ${app.dir}. Next:

  cd ${dir}
  npm install
  npm run dev          # http://localhost:5173

and, in another terminal, a relay for it (from a project with @helios/server installed, or
from a checkout of the Helios repository):

  npx --no-install helios-relay --region dev --anonymous --cors http://localhost:5173

README.md in the app says more.`);
} catch (error) {
  if (!(error instanceof ScaffoldError)) throw error;
  fail(error.message);
}

/**
 * @param {string} message
 * @param {boolean} [withUsage] for a mistake in the command line itself
 * @returns {never}
 */
function fail(message, withUsage = false) {
  console.error(`create-helios-app: ${message}${withUsage ? `\n\n${USAGE}` : ''}`);
  process.exit(1);
}
