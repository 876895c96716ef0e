import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { packageName, scaffold } from './scaffold.js';
import { ScaffoldError } from './scaffold-error.js';

const BIN = fileURLToPath(new URL('../bin/create-helios-app.js', import.meta.url));
const PACKAGES = fileURLToPath(new URL('../..', import.meta.url));
const HELIOS = ['@helios/client', '@helios/core', '@helios/react'];

/** @param {string} dir */
const readManifest = (dir) => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));

let tmp = '';
beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), 'create-helios-app-'));
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

/** Empty files named as npm pack names the tarballs: the scaffold reads only their names. */
function fakeTarballs(names = ['core', 'client', 'react', 'transport']) {
  const dir = join(tmp, 'packs');
  mkdirSync(dir);
  for (const name of names) writeFileSync(join(dir, `helios-${name}-0.1.0.tgz`), '');
  return dir;
}

describe('scaffold', () => {
  it('writes the app, named after its directory, with the @helios packages of this release', () => {
    const { dir } = scaffold({ dir: join(tmp, 'My Shop') });
    const manifest = readManifest(dir);
    expect(manifest.name).toBe('my-shop');
    for (const name of HELIOS) {
      // The template's ranges must take the packages this repository would publish now.
      const { version } = readManifest(join(PACKAGES, name.replace('@helios/', '')));
      expect(manifest.dependencies[name]).toBe(`^${version}`);
    }
    for (const file of ['index.html', 'src/main.tsx', 'src/App.tsx', 'README.md', '.gitignore']) {
      expect(existsSync(join(dir, file)), file).toBe(true);
    }
    expect(existsSync(join(dir, '_gitignore'))).toBe(false);
  });

  it('--helios-from points every @helios dependency at its tarball, relative to the app', () => {
    const { manifest } = scaffold({ dir: join(tmp, 'app'), heliosFrom: fakeTarballs() });
    expect(manifest.dependencies).toMatchObject({
      '@helios/client': 'file:../packs/helios-client-0.1.0.tgz',
      '@helios/core': 'file:../packs/helios-core-0.1.0.tgz',
      '@helios/react': 'file:../packs/helios-react-0.1.0.tgz',
      // What @helios/client depends on: npm cannot fetch it from the registry either.
      '@helios/transport': 'file:../packs/helios-transport-0.1.0.tgz',
    });
    expect(readManifest(join(tmp, 'app'))).toEqual(manifest);
  });

  it('refuses a missing or ambiguous tarball, and then writes nothing', () => {
    const packs = fakeTarballs(['core', 'client', 'transport']);
    const app = join(tmp, 'app');
    expect(() => scaffold({ dir: app, heliosFrom: packs })).toThrow(
      new ScaffoldError(
        `no tarball of @helios/react (helios-react-<version>.tgz) in ${packs}: make one with npm pack`,
      ),
    );
    writeFileSync(join(packs, 'helios-react-0.1.0.tgz'), '');
    writeFileSync(join(packs, 'helios-react-0.2.0.tgz'), '');
    expect(() => scaffold({ dir: app, heliosFrom: packs })).toThrow(
      /several tarballs of @helios\/react/,
    );
    expect(existsSync(app)).toBe(false);
  });

  it('refuses a directory that is not empty', () => {
    writeFileSync(join(tmp, 'notes.txt'), '');
    expect(() => scaffold({ dir: tmp })).toThrow(`${tmp} is not empty: name a new directory`);
  });
});

it('packageName makes a valid npm name of a directory name', () => {
  expect(packageName('My App!')).toBe('my-app-');
  expect(packageName('.hidden')).toBe('hidden');
  expect(packageName('…')).toBe('helios-app');
});

describe('the bin', () => {
  /** @param {string[]} args */
  const run = (args) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: tmp });

  it('writes the app and says what to run next', () => {
    const result = run(['app', '--helios-from', fakeTarballs()]);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('npx --no-install helios-relay --region dev --anonymous');
    expect(readManifest(join(tmp, 'app')).name).toBe('app');
  });

  it('exits 1 with a message and the usage when the directory is missing or taken', () => {
    const missing = run([]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(
      /^create-helios-app: name one directory to write the app into\n/,
    );
    expect(missing.stderr).toContain('Usage: create-helios-app <dir> [options]');
    mkdirSync(join(tmp, 'taken'));
    writeFileSync(join(tmp, 'taken', 'x'), '');
    const taken = run(['taken']);
    expect(taken.status).toBe(1);
    expect(taken.stderr).toBe(
      `create-helios-app: ${join(tmp, 'taken')} is not empty: name a new directory\n`,
    );
  });
});
