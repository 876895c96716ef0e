import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, type Page, test } from '@playwright/test';
import { serveStatic } from '../../apps/demo-cart/scripts/static-server.mjs';
import { envOutsideNpm, runCommand } from './command.js';

// docs/getting-started.md as a newcomer walks it, outside this repository: the public packages
// packed by npm, an app written by create-helios-app and installed from the npm registry plus
// those tarballs, built by Vite, and a counter that syncs through a relay between two browsers.

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const PUBLIC_PACKAGES = [
  '@helios/core',
  '@helios/transport',
  '@helios/client',
  '@helios/react',
  '@helios/server',
  '@helios/devtools',
];
const RELAY_BIN = join(REPO, 'packages/server/bin/helios-relay.js');

interface PackResult {
  name: string;
  filename: string;
  files: { path: string }[];
}

/** Every file a packed manifest points at: `main`, `types`, `bin` and each `exports` target. */
function entryPoints(manifest: Record<string, unknown>): string[] {
  const targets = (value: unknown): string[] =>
    typeof value === 'string'
      ? [value]
      : value && typeof value === 'object'
        ? Object.values(value).flatMap(targets)
        : [];
  return [manifest.main, manifest.types, manifest.bin, manifest.exports]
    .flatMap(targets)
    .map((path) => path.replace(/^\.\//, ''));
}

/** Starts the repository's relay (the bin `npx --no-install helios-relay` runs) on a free port. */
async function startRelay(
  db: string,
  origin: string,
): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    [RELAY_BIN, '--region', 'dev', '--port', '0', '--db', db, '--anonymous', '--cors', origin],
    { env: envOutsideNpm({ HELIOS_LOG_LEVEL: 'warn' }), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the relay did not start:\n${output}`)),
      30_000,
    );
    const onData = (chunk: Buffer) => {
      output += chunk;
      const listening = /listening on (http:\/\/\S+)/.exec(output);
      if (listening) {
        clearTimeout(timer);
        resolve({ url: listening[1]!, child });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the relay exited with ${code}:\n${output}`));
    });
  });
}

async function stopRelay(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
  child.kill('SIGKILL');
}

const count = (page: Page) => page.getByRole('status', { name: 'count' });

test('a scaffolded app, installed from the packed packages, syncs a counter through a relay', async ({
  browser,
}) => {
  // About 15 s with a warm npm cache. The steps' own limits add up to less than this one.
  test.setTimeout(600_000);
  const work = mkdtempSync(join(tmpdir(), 'helios-getting-started-'));
  // npm would treat a project inside the repository as part of its workspace.
  expect(relative(REPO, work).startsWith('..')).toBe(true);
  const packs = join(work, 'packs');
  const app = join(work, 'my-app');
  let server: Server | undefined;
  let relay: ChildProcess | undefined;
  try {
    await test.step('npm pack the public packages', async () => {
      mkdirSync(packs);
      const workspaces = PUBLIC_PACKAGES.flatMap((name) => ['--workspace', name]);
      const stdout = await runCommand(
        'npm',
        ['pack', ...workspaces, '--pack-destination', packs, '--json'],
        { cwd: REPO, timeoutMs: 60_000 },
      );
      const packed: PackResult[] = JSON.parse(stdout);
      expect(packed.map((p) => p.name).sort()).toEqual([...PUBLIC_PACKAGES].sort());
      for (const { name, files } of packed) {
        const paths = new Set(files.map((f) => f.path));
        const manifest = JSON.parse(
          readFileSync(join(REPO, 'node_modules', name, 'package.json'), 'utf8'),
        );
        for (const entry of entryPoints(manifest)) {
          expect(paths, `${name} points at ${entry}`).toContain(entry);
        }
      }
    });

    await test.step('create-helios-app, npm install', async () => {
      await runCommand('npx', ['--no-install', 'create-helios-app', app, '--helios-from', packs], {
        cwd: REPO,
        timeoutMs: 30_000,
      });
      // --prefer-offline: what the npm cache has (react, vite… from this repository's own
      // install) is not fetched again. better-sqlite3 builds from source here (about 80 s on an
      // idle machine): a CI run once took over 180 s, so the bound is generous.
      await runCommand('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], {
        cwd: app,
        timeoutMs: 420_000,
      });
    });

    // The page's origin must be known to start the relay with --cors, and the relay's URL to
    // build the app: the server (which reads files per request) starts before the build.
    server = (await serveStatic({ root: join(app, 'dist'), port: 0, config: {} })) as Server;
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const started = await startRelay(join(work, 'dev.sqlite'), origin);
    relay = started.child;

    await test.step('npm run build (tsc, vite build)', async () => {
      await runCommand('npm', ['run', 'build'], {
        cwd: app,
        timeoutMs: 60_000,
        env: envOutsideNpm({ VITE_HELIOS_RELAY_URL: started.url }),
      });
    });

    await test.step('a click in one browser shows in another', async () => {
      // Two contexts share no IndexedDB and no BroadcastChannel: only the relay connects them.
      const contexts = [await browser.newContext(), await browser.newContext()];
      try {
        const [a, b] = await Promise.all(contexts.map((context) => context.newPage()));
        for (const page of [a!, b!]) {
          await page.goto(origin);
          await expect(page.getByText(`online · relay ${started.url}`)).toBeVisible();
          await expect(count(page)).toHaveText('0');
        }
        await a!.getByRole('button', { name: 'increment' }).click();
        await a!.getByRole('button', { name: 'increment' }).click();
        await expect(count(b!)).toHaveText('2');
        await b!.getByRole('button', { name: 'decrement' }).click();
        await expect(count(a!)).toHaveText('1');
      } finally {
        await Promise.all(contexts.map((context) => context.close()));
      }
    });
  } finally {
    server?.close();
    if (relay) await stopRelay(relay);
    rmSync(work, { recursive: true, force: true });
  }
});
