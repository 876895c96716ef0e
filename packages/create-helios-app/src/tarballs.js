import { readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { ScaffoldError } from './scaffold-error.js';

/**
 * The `npm pack` tarball of `name` in `dir`: npm names the one of `@helios/core@0.1.0`
 * `helios-core-0.1.0.tgz`.
 * @param {string} dir
 * @param {string} name a package name, e.g. `@helios/core`
 * @returns {string} the tarball's path
 * @throws {ScaffoldError} when `dir` has none, or several (which one would be a guess)
 */
export function findTarball(dir, name) {
  const prefix = `${name.replace(/^@/, '').replace('/', '-')}-`;
  let files;
  try {
    files = readdirSync(dir);
  } catch (error) {
    throw new ScaffoldError(`cannot read the tarball directory ${dir}: ${String(error)}`);
  }
  // The version follows the prefix: helios-core-… must not take helios-core-extras-0.1.0.tgz.
  const found = files.filter(
    (f) => f.startsWith(prefix) && /^\d.*\.tgz$/.test(f.slice(prefix.length)),
  );
  if (found.length !== 1) {
    throw new ScaffoldError(
      found.length === 0
        ? `no tarball of ${name} (${prefix}<version>.tgz) in ${dir}: make one with npm pack`
        : `several tarballs of ${name} in ${dir} (${found.join(', ')}): keep one`,
    );
  }
  return join(dir, /** @type {string} */ (found[0]));
}

/**
 * A `file:` dependency on `tarball` for the package in `appDir`, relative so that the app and
 * the tarballs can move together.
 * @param {string} appDir
 * @param {string} tarball
 */
export function fileSpec(appDir, tarball) {
  return `file:${relative(appDir, tarball).split(sep).join('/')}`;
}
