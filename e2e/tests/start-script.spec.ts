import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from '@playwright/test';
import { REGIONS } from './cluster.js';

// `npm start`'s own script (no browser needed): a relay that dies is started again, and
// SIGTERM stops everything without restarting anything.
const START = fileURLToPath(new URL('../../apps/demo-cart/scripts/start.mjs', import.meta.url));
const SHOP_PORT = 4400;
const RELAY_PORT = 4401;

/** `npm start`'s script on this spec's ports, with its data in `dataDir`. */
function startScript(dataDir: string): ChildProcess {
  return spawn(
    process.execPath,
    [START, '--port', String(SHOP_PORT), '--relay-port', String(RELAY_PORT), '--data', dataDir],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
}

/**
 * The pid of the start script's relay child for `region`, found through Linux's /proc (the
 * script does not print its children's ids; the suite runs on Linux).
 */
function relayPid(script: ChildProcess, region: string): number {
  const children = readFileSync(`/proc/${script.pid}/task/${script.pid}/children`, 'utf8');
  for (const pid of children.trim().split(/\s+/).map(Number)) {
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    if (args[args.indexOf('--region') + 1] === region) return pid;
  }
  throw new Error(`no relay process for ${region}`);
}

async function healthyRegion(port: number): Promise<string | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/healthz`);
    return ((await res.json()) as { region: string }).region;
  } catch {
    return undefined;
  }
}

test('the start script restarts a relay that dies, with a growing delay, and stops cleanly', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'helios-e2e-start-'));
  const script = startScript(dataDir);
  let output = '';
  script.stdout!.on('data', (chunk) => (output += chunk));
  script.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => script.once('exit', resolve));
  try {
    await expect.poll(() => output, { timeout: 30_000 }).toContain('Ctrl-C stops everything');
    expect(output).toContain(`shop:   http://127.0.0.1:${SHOP_PORT}/`);

    const first = relayPid(script, 'eu-west-1');
    process.kill(first, 'SIGKILL');
    await expect
      .poll(() => output)
      .toContain('relay eu-west-1 exited (SIGKILL); restarting in 0.5 s');
    await expect.poll(() => output).toContain('relay eu-west-1 is running again');
    await expect.poll(() => healthyRegion(RELAY_PORT + 1)).toBe('eu-west-1');

    // Dying again soon after the restart: the next delay doubles.
    const second = relayPid(script, 'eu-west-1');
    expect(second).not.toBe(first);
    process.kill(second, 'SIGKILL');
    await expect.poll(() => output).toContain('restarting in 1 s');
    await expect.poll(() => output.split('relay eu-west-1 is running again').length - 1).toBe(2);

    const before = output.length;
    script.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output.slice(before)).toContain('stopping…');
    expect(output.slice(before)).not.toContain('restarting');
    for (let i = 0; i < REGIONS.length; i++) {
      expect(await healthyRegion(RELAY_PORT + i)).toBeUndefined();
    }
  } finally {
    // After a failure: the script stops its relays on SIGTERM; SIGKILL would orphan them.
    if (script.exitCode === null) {
      script.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('a taken page port stops the script with a message naming --port, before any relay starts', async () => {
  const squatter = createServer().listen(SHOP_PORT, '127.0.0.1');
  await once(squatter, 'listening');
  const dataDir = mkdtempSync(join(tmpdir(), 'helios-e2e-start-'));
  try {
    const script = startScript(dataDir);
    let stderr = '';
    script.stderr!.on('data', (chunk) => (stderr += chunk));
    const [code] = await once(script, 'exit');
    expect(code).toBe(1);
    expect(stderr.trim()).toBe(`npm start: port ${SHOP_PORT} is taken: pick another with --port`);
    expect(await healthyRegion(RELAY_PORT)).toBeUndefined();
  } finally {
    squatter.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
