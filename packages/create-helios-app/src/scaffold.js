import { cpSync, existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ScaffoldError } from './scaffold-error.js';
import { fileSpec, findTarball } from './tarballs.js';

/** The app this package writes: copied as it is, but for package.json and the renames below. */
export const TEMPLATE_DIR = fileURLToPath(new URL('../template', import.meta.url));

// npm leaves .gitignore files out of a published package, so the template keeps it under
// another name.
/** @type {[from: string, to: string][]} */
const RENAMES = [['_gitignore', '.gitignore']];

/**
 * What the template's @helios packages depend on among the @helios packages, and the app does
 * not import itself. From the npm registry npm finds them; installed from tarballs it cannot, so
 * with `--helios-from` the app names their tarballs too.
 */
const HELIOS_INDIRECT = ['@helios/transport'];

/**
 * @typedef {{ name: string, dependencies: Record<string, string>, [field: string]: unknown }} Manifest
 * @typedef {object} ScaffoldOptions
 * @property {string} dir where to write the app: a new or empty directory
 * @property {string} [heliosFrom] a directory of `npm pack` tarballs to take the @helios packages
 *   from, instead of the npm registry
 */

/**
 * Writes the app into `dir`. Nothing is written when an option is wrong.
 * @param {ScaffoldOptions} options
 * @returns {{ dir: string, manifest: Manifest }} the absolute directory and its package.json
 * @throws {ScaffoldError}
 */
export function scaffold({ dir, heliosFrom }) {
  const target = resolve(dir);
  if (existsSync(target) && readdirSync(target).length > 0) {
    throw new ScaffoldError(`${target} is not empty: name a new directory`);
  }
  /** @type {Manifest} */
  const manifest = JSON.parse(readFileSync(join(TEMPLATE_DIR, 'package.json'), 'utf8'));
  manifest.name = packageName(basename(target));
  if (heliosFrom !== undefined) {
    const from = resolve(heliosFrom);
    const names = [...Object.keys(manifest.dependencies).filter(isHelios), ...HELIOS_INDIRECT];
    for (const name of names.sort()) {
      manifest.dependencies[name] = fileSpec(target, findTarball(from, name));
    }
  }
  cpSync(TEMPLATE_DIR, target, { recursive: true });
  for (const [from, to] of RENAMES) renameSync(join(target, from), join(target, to));
  writeFileSync(join(target, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return { dir: target, manifest };
}

/** @param {string} name */
function isHelios(name) {
  return name.startsWith('@helios/');
}

/**
 * A valid npm package name made from a directory name: lower case, URL-safe.
 * @param {string} dirName
 */
export function packageName(dirName) {
  const name = dirName
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[._-]+/, '');
  return name === '' ? 'helios-app' : name;
}
