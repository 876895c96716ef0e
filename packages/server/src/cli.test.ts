import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  AWSet,
  HeliosError,
  HybridLogicalClock,
  LWWMap,
  newEpochReplicaId,
  newReplicaId,
} from '@helios/core';
import type { Message } from '@helios/core/protocol';
import { freePort } from '@helios/test-kit';
import { SignJWT } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CliError, oneWayFromRttFile, parseCli } from './cli-options.js';
import { eventually, ProtocolClient } from './test-support/protocol-client.js';
import { RelayProcess } from './test-support/relay-process.js';
import { tempDir } from './test-support/temp-dir.js';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

let dir: { path: string; remove(): Promise<void> };
beforeAll(async () => {
  dir = await tempDir('helios-cli-');
});
afterAll(async () => {
  await dir.remove();
});

const open: { close(): unknown }[] = [];
const relays: RelayProcess[] = [];
afterEach(async () => {
  for (const c of open.splice(0).reverse()) await c.close();
  for (const r of relays.splice(0)) await r.stop('SIGKILL');
});

/** The test process's environment without any HELIOS_* setting, so only ours count. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('HELIOS_')) env[k] = v;
  return { ...env, ...extra };
}

function runCli(args: string[], env: NodeJS.ProcessEnv = cleanEnv()) {
  return spawnSync(process.execPath, [CLI, ...args], { env, encoding: 'utf8', timeout: 20_000 });
}

async function startRelay(args: string[], env?: Record<string, string>): Promise<RelayProcess> {
  // RelayProcess spreads process.env under `env`: blank out inherited HELIOS_* settings.
  const blank: Record<string, string> = {};
  for (const k of Object.keys(process.env)) if (k.startsWith('HELIOS_')) blank[k] = '';
  const relay = await RelayProcess.start(args, { ...blank, ...env });
  relays.push(relay);
  return relay;
}

async function clientOf(url: string, token?: string): Promise<ProtocolClient> {
  const c = new ProtocolClient(url, token !== undefined ? { token } : {});
  open.push(c);
  await c.ready();
  return c;
}

/** One sample of a Prometheus text exposition: `name` with at least `labels`, or undefined. */
function sample(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = new Map(
      [...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]),
    );
    if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) return Number(m[3]);
  }
  return undefined;
}

async function metricsOf(url: string): Promise<string> {
  const res = await fetch(`${url}/metrics`);
  expect(res.status).toBe(200);
  return res.text();
}

const RTT_FIXTURE = {
  source: 'test fixture in the shape of regions.json (p50 round-trip times, ms)',
  regions: ['us-east-1', 'eu-west-1', 'sa-east-1', 'ap-southeast-1'],
  rttMs: [
    { a: 'us-east-1', b: 'eu-west-1', p50: 69.6, fiberFloor: 53.5 },
    { a: 'sa-east-1', b: 'us-east-1', p50: 115.2, fiberFloor: 75.1 },
    { a: 'eu-west-1', b: 'sa-east-1', p50: 178.1, fiberFloor: 92.0 },
    { a: 'eu-west-1', b: 'ap-southeast-1', p50: 182.0, fiberFloor: 109.7 },
  ],
};

describe('helios-relay command line', () => {
  it('--help prints the usage and exits 0', () => {
    const run = runCli(['--help']);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('Usage: helios-relay --region <name> [options]');
    for (const flag of [
      '--region',
      '--pg',
      '--pg-schema',
      '--redis',
      '--rtt-file',
      '--anonymous',
      '--hooks',
      '--open-access',
      '--admin-token',
      '--peer-transport',
      '--quic-cert',
      '--quic-key',
      '--quic-ca',
      '--quic-port',
      '--peer-quic-port',
    ])
      expect(run.stdout).toContain(flag);
    expect(run.stderr).toBe('');
  });

  it('--peer-transport and --quic-* choose QUIC peer links and read the PEM files', () => {
    const env = { HELIOS_REGION: 'x' };
    const plain = parseCli([], env);
    expect([plain.peerTransport, plain.quic]).toEqual(['ws', undefined]);
    expect(parseCli(['--peer-transport', 'quic'], env)).toMatchObject({
      peerTransport: 'quic',
      quic: {},
    });
    const [cert, key, ca] = ['cert', 'key', 'ca'].map((name) => {
      const path = join(dir.path, `${name}.pem`);
      writeFileSync(path, `-----BEGIN ${name}-----`);
      return path;
    });
    const flags = [
      '--quic-cert',
      cert!,
      '--quic-key',
      key!,
      '--quic-ca',
      ca!,
      '--quic-port',
      '4999',
    ];
    const quic = parseCli(['--peer-transport', 'quic', ...flags], env);
    expect(quic.quic).toEqual({
      cert: '-----BEGIN cert-----',
      key: '-----BEGIN key-----',
      ca: '-----BEGIN ca-----',
      port: 4999,
    });
    const fromEnv = parseCli([], {
      ...env,
      HELIOS_PEER_TRANSPORT: 'quic',
      HELIOS_QUIC_PORT: '5000',
    });
    expect(fromEnv).toMatchObject({ peerTransport: 'quic', quic: { port: 5000 } });
    // A QUIC listener without dialling over QUIC: --quic-port alone turns it on.
    expect(parseCli(['--quic-port', '4998'], env)).toMatchObject({
      peerTransport: 'ws',
      quic: { port: 4998 },
    });
    const peered = parseCli(
      ['--peer', 'eu=http://10.0.0.2:4100', '--peer-quic-port', 'eu=4443'],
      env,
    );
    expect(peered.peers).toEqual([
      { region: 'eu', url: 'http://10.0.0.2:4100', latencyMs: 0, quicPort: 4443 },
    ]);
    expect(() => parseCli(['--peer-transport', 'udp'], env)).toThrow(/ws or quic/);
    expect(() => parseCli(['--quic-port', '70000'], env)).toThrow(CliError);
    expect(() => parseCli(['--quic-cert', cert!], env)).toThrow(/go together/);
    expect(() => parseCli(['--peer-quic-port', 'eu=0'], env)).toThrow(CliError);
  });

  it('two relays with --peer-transport quic replicate over QUIC', async () => {
    const [usPort, euPort] = [await freePort(), await freePort()];
    const argsOf = (region: string, port: number, peer: string, peerPort: number) => [
      '--region',
      region,
      '--port',
      String(port),
      '--db',
      join(dir.path, `${region}-quic.sqlite`),
      '--peer',
      `${peer}=http://127.0.0.1:${peerPort}`,
      '--peer-token',
      'peer-secret',
      '--peer-transport',
      'quic',
      '--anonymous',
    ];
    const us = await startRelay(argsOf('us-east-1', usPort, 'eu-west-1', euPort));
    const eu = await startRelay(argsOf('eu-west-1', euPort, 'us-east-1', usPort));
    expect(us.output).toMatch(/self-signed one\. Development only/);
    const [atUs, atEu] = [await clientOf(us.url), await clientOf(eu.url)];
    await atUs.subscribe('tags', AWSet);
    await atEu.subscribe('tags', AWSet);
    await atUs.write('tags', (s, me) => AWSet.add(s, me, 'from-us'));
    await eventually(
      () => (atEu.value('tags') as Set<string>).has('from-us'),
      'the write crosses over QUIC',
    );
    // Over QUIC, not the fallback: neither relay logged that UDP went unanswered.
    expect(us.output + eu.output).not.toMatch(/no answer over QUIC/);
  });

  it('takes the admin token from --admin-token or HELIOS_ADMIN_TOKEN, none by default', () => {
    const env = { HELIOS_REGION: 'x' };
    expect(parseCli([], env).adminToken).toBeUndefined();
    expect(parseCli(['--admin-token', 'from-the-flag-1234'], env).adminToken).toBe(
      'from-the-flag-1234',
    );
    const fromEnv = parseCli([], { ...env, HELIOS_ADMIN_TOKEN: 'from-the-env-12345' });
    expect(fromEnv.adminToken).toBe('from-the-env-12345');
  });

  it('usage errors exit 2 with a message and the usage', () => {
    const missing = runCli(['--port', '0', '--anonymous']);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/^--region is required/);
    expect(missing.stderr).toContain('Usage: helios-relay');
    const unknown = runCli(['--region', 'us-east-1', '--bogus']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/Unknown option '--bogus'/);
    const badPort = runCli(['--region', 'us-east-1', '--port', '70000']);
    expect(badPort.status).toBe(2);
    expect(badPort.stderr).toMatch(/bad port 70000/);
    expect(() => parseCli(['--peer', 'no-equals-sign'], { HELIOS_REGION: 'x' })).toThrow(CliError);
    const err = (() => {
      try {
        parseCli(['--peer', 'no-equals-sign'], { HELIOS_REGION: 'x' });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(HeliosError);
    expect((err as CliError).code).toBe('usage');
  });

  it('takes every setting from HELIOS_* environment variables', async () => {
    const port = await freePort();
    const db = join(dir.path, 'from-env.sqlite');
    const deadPeer = await freePort();
    const relay = await startRelay([], {
      HELIOS_REGION: 'eu-west-1',
      HELIOS_PORT: String(port),
      HELIOS_HOST: '127.0.0.1',
      HELIOS_DB: db,
      HELIOS_ANONYMOUS: '1',
      HELIOS_PEERS: `us-east-1=http://127.0.0.1:${deadPeer}`,
      HELIOS_PEER_TOKEN: 'peer-secret',
    });
    expect(relay.url).toBe(`http://127.0.0.1:${port}`);
    expect(existsSync(db)).toBe(true);
    const health = (await (await fetch(`${relay.url}/healthz`)).json()) as {
      region: string;
      peers: { region: string; connected: boolean }[];
    };
    expect(health.region).toBe('eu-west-1');
    expect(health.peers).toEqual([{ region: 'us-east-1', connected: false }]);
    const c = await clientOf(relay.url);
    expect(c.welcome?.region).toBe('eu-west-1');

    // HELIOS_JWT_SECRET instead of anonymous: tokens are now required.
    const secret = 'env-secret-of-a-reasonable-length';
    const secured = await startRelay([], {
      HELIOS_REGION: 'eu-west-1',
      HELIOS_PORT: '0',
      HELIOS_DB: join(dir.path, 'jwt.sqlite'),
      HELIOS_JWT_SECRET: secret,
      HELIOS_OPEN_ACCESS: '1',
    });
    expect(secured.output).toMatch(/OPEN ACCESS/);
    await expect(new ProtocolClient(secured.url).ready()).rejects.toMatchObject({
      data: { code: 'unauthenticated' },
    });
    const jwt = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('alice')
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(secret));
    expect((await clientOf(secured.url, jwt)).welcome?.region).toBe('eu-west-1');
  });

  it('a JWT relay without an authorize hook refuses to start unless --open-access, then warns', async () => {
    const db = join(dir.path, 'open.sqlite');
    const base = ['--region', 'us-east-1', '--port', '0', '--db', db];
    const authnOnly = join(dir.path, 'authn-only.mjs');
    writeFileSync(authnOnly, "export const authenticate = () => ({ id: 'x' });");
    const allowing = join(dir.path, 'authorize-all.mjs');
    writeFileSync(allowing, 'export const authorize = () => true;');
    const refusal =
      /^no authorize hook: every authenticated user could read and write every document\. Export authorize from a module named by --hooks, or pass --open-access \(HELIOS_OPEN_ACCESS=1\)/;
    for (const args of [
      ['--jwt-secret', 'a-secret'],
      ['--hooks', authnOnly],
    ]) {
      const run = runCli([...base, ...args]);
      expect({ args, status: run.status, stderr: run.stderr }).toMatchObject({
        status: 1,
        stderr: expect.stringMatching(refusal),
      });
    }
    const both = runCli([
      ...base,
      '--jwt-secret',
      'a-secret',
      '--hooks',
      allowing,
      '--open-access',
    ]);
    expect(both.status).toBe(1);
    expect(both.stderr).toMatch(/^--open-access contradicts the authorize hook of --hooks/);
    // Refused before the store is opened.
    expect(existsSync(db)).toBe(false);

    // Opting in starts the relay, with a warning in its log.
    const dbOf = (name: string) => ['--db', join(dir.path, `${name}.sqlite`)];
    const opted = await startRelay([
      ...base,
      ...dbOf('opted'),
      '--jwt-secret',
      'x',
      '--open-access',
    ]);
    expect(opted.output).toMatch(
      /"level":40.*OPEN ACCESS: no authorize hook; every authenticated user may read and write every document/,
    );
    // An authorize hook instead needs no opt-in; --anonymous needs none either.
    const hooked = await startRelay([
      ...base,
      ...dbOf('hooked'),
      '--jwt-secret',
      'x',
      '--hooks',
      allowing,
    ]);
    expect(hooked.output).not.toMatch(/OPEN ACCESS/);
    await startRelay([...base, ...dbOf('anon'), '--anonymous']);
  });

  it('--rtt-file turns p50 round trips into one-way delays per peer link', () => {
    const file = join(dir.path, 'regions.json');
    writeFileSync(file, JSON.stringify(RTT_FIXTURE));
    const fromUs = oneWayFromRttFile(file, 'us-east-1');
    expect(Object.fromEntries(fromUs)).toEqual({ 'eu-west-1': 34.8, 'sa-east-1': 57.6 });
    expect(Object.fromEntries(oneWayFromRttFile(file, 'eu-west-1'))).toEqual({
      'us-east-1': 34.8,
      'sa-east-1': 89.05,
      'ap-southeast-1': 91,
    });
    expect(oneWayFromRttFile(file, 'nowhere').size).toBe(0);

    const peers = ['--peer', 'eu-west-1=http://eu:1', '--peer', 'sa-east-1=http://sa:1'];
    const viaFlag = parseCli(['--region', 'us-east-1', '--rtt-file', file, ...peers], {});
    expect(viaFlag.peers).toEqual([
      { region: 'eu-west-1', url: 'http://eu:1', latencyMs: 34.8 },
      { region: 'sa-east-1', url: 'http://sa:1', latencyMs: 57.6 },
    ]);
    // From the environment, and --peer-latency overrides one link.
    const viaEnv = parseCli(['--peer-latency', 'sa-east-1=5'], {
      HELIOS_REGION: 'us-east-1',
      HELIOS_RTT_FILE: file,
      HELIOS_PEERS: 'eu-west-1=http://eu:1,sa-east-1=http://sa:1,ap-southeast-1=http://ap:1',
    });
    expect(viaEnv.peers.map((p) => [p.region, p.latencyMs])).toEqual([
      ['eu-west-1', 34.8],
      ['sa-east-1', 5],
      ['ap-southeast-1', 0],
    ]);
  });

  it('--limit sets connection and user limits by name; HELIOS_LIMITS too; bad ones are usage errors', () => {
    const flags = ['--limit', 'maxConnectionsPerUser=8', '--limit', 'maxBytesPerSecond=65536'];
    expect(parseCli(['--region', 'x', ...flags], {}).limits).toEqual({
      maxConnectionsPerUser: 8,
      maxBytesPerSecond: 65536,
    });
    const env = {
      HELIOS_REGION: 'x',
      HELIOS_LIMITS: 'overBudgetCloseMs=2000,maxDeltasPerSecond=100',
    };
    expect(parseCli([], env).limits).toEqual({ overBudgetCloseMs: 2000, maxDeltasPerSecond: 100 });
    expect(parseCli(['--region', 'x'], {}).limits).toEqual({});
    for (const bad of ['maxConnectionsPerUser', 'noSuchLimit=3', 'maxDeltasPerSecond=0', 'x=y']) {
      expect(() => parseCli(['--region', 'x', '--limit', bad], {})).toThrow(CliError);
    }
  });

  it('--rights sets how bounded-counter rights are handed out; HELIOS_RIGHTS too; bad ones are usage errors', () => {
    const flags = ['--rights', 'maxGrant=2', '--rights', 'peerWaitMs=500'];
    expect(parseCli(['--region', 'x', ...flags], {}).rights).toEqual({
      maxGrant: 2,
      peerWaitMs: 500,
    });
    expect(parseCli([], { HELIOS_REGION: 'x', HELIOS_RIGHTS: 'lowWater=0' }).rights).toEqual({
      lowWater: 0,
    });
    for (const bad of ['maxGrant', 'maxGrant=0', 'lowWater=1.5', 'noSuchSetting=3']) {
      expect(() => parseCli(['--region', 'x', '--rights', bad], {})).toThrow(CliError);
    }
  });

  it('SIGTERM with pushes queued exits 0, and every acked push is on disk after a restart', async () => {
    const args = ['--region', 'us-east-1', '--port', '0', '--db', join(dir.path, 'sigterm.sqlite')];
    const relay = await startRelay([...args, '--anonymous']);
    const replica = newReplicaId();
    const writer = new ProtocolClient(relay.url, { replica });
    open.push(writer);
    await writer.ready();
    await writer.subscribe('items', AWSet);

    const acked = new Set<string>();
    let signalled = false;
    let ackedAfterSignal = 0;
    const pending: Promise<void>[] = [];
    const burst = 3_000;
    for (let i = 0; i < burst; i++) {
      const item = `item-${i}`;
      pending.push(
        writer
          .write('items', (s, me) => AWSet.add(s, me, item))
          .then(
            () => {
              acked.add(item);
              if (signalled) ackedAfterSignal++;
            },
            () => {},
          ),
      );
    }
    // Signal as soon as the first commit is acked: most of the burst is still queued.
    await eventually(() => acked.size > 0, 'a first ack');
    signalled = true;
    const ackedBeforeSignal = acked.size;
    const code = await relay.stop('SIGTERM');
    await Promise.allSettled(pending.map((p) => Promise.race([p, sleep(500)])));
    writer.close();

    const again = await startRelay([...args, '--anonymous']);
    const reader = await clientOf(again.url);
    await reader.subscribe('items', AWSet);
    const items = reader.value('items') as Set<string>;
    const lost = [...acked].filter((item) => !items.has(item));
    console.log(
      `cli SIGTERM: ${burst} pushes sent, ${ackedBeforeSignal} acked before the signal, ` +
        `${ackedAfterSignal} after, exit code ${code}; after restart ${items.size} present, acked lost: ${lost.length}`,
    );
    expect(code).toBe(0);
    expect(acked.size).toBeGreaterThan(0);
    expect(lost).toEqual([]);
  });

  it('--epoch-period-days, --retire-after and --auto-fold set the epoch calendar and the fold; HELIOS_* too; bad ones are usage errors', () => {
    const flags = ['--epoch-period-days', '30', '--retire-after', '2'];
    const given = parseCli(['--region', 'x', ...flags, '--auto-fold', 'graceMs=3600000'], {});
    expect(given.epochs).toEqual({ periodMs: 30 * 86_400_000, retireAfter: 2 });
    expect(given.autoFold).toEqual({ graceMs: 3_600_000 });
    expect(parseCli(['--region', 'x', ...flags, '--auto-fold', 'on'], {}).autoFold).toEqual({});
    const env = {
      HELIOS_REGION: 'x',
      HELIOS_EPOCH_PERIOD_DAYS: '7',
      HELIOS_RETIRE_AFTER: '1',
      HELIOS_AUTO_FOLD: 'intervalMs=5000,docsPerTick=10',
    };
    expect(parseCli([], env)).toMatchObject({
      epochs: { periodMs: 7 * 86_400_000, retireAfter: 1 },
      autoFold: { intervalMs: 5000, docsPerTick: 10 },
    });
    const none = parseCli(['--region', 'x'], {});
    expect([none.epochs, none.autoFold]).toEqual([undefined, undefined]);
    expect(parseCli(['--region', 'x', '--epoch-period-days', '1'], {}).epochs).toEqual({
      periodMs: 86_400_000,
    });
    for (const bad of [
      ['--retire-after', '2'],
      ['--epoch-period-days', '0'],
      ['--epoch-period-days', 'monthly'],
      ['--epoch-period-days', '0.001'],
      ['--epoch-period-days', '30', '--retire-after', '0'],
      ['--epoch-period-days', '30', '--retire-after', '1.5'],
      ['--epoch-period-days', '30', '--auto-fold', 'on'],
      [...flags, '--auto-fold', 'graceMs=-1'],
      [...flags, '--auto-fold', 'never'],
    ]) {
      expect(() => parseCli(['--region', 'x', ...bad], {}), bad.join(' ')).toThrow(CliError);
    }
  });

  it('a relay started with an epoch calendar announces the epoch and refuses retired ids', async () => {
    const relay = await startRelay([
      '--region',
      'eu-west-1',
      '--port',
      '0',
      '--db',
      join(dir.path, 'epochs.sqlite'),
      '--anonymous',
      '--epoch-period-days',
      '1',
      '--retire-after',
      '1',
      '--auto-fold',
      'on',
    ]);
    const today = Math.floor(Date.now() / 86_400_000);
    const fresh = await clientOf(relay.url);
    const announced = await fresh.waitFor(
      (m): m is Extract<Message, { kind: 'replica-epoch' }> => m.kind === 'replica-epoch',
    );
    // Tolerates a run that crosses midnight UTC.
    expect(announced.epoch - today).toBeGreaterThanOrEqual(0);
    expect(announced.epoch - today).toBeLessThanOrEqual(1);
    expect(announced.retiredBelow).toBe(announced.epoch - 1);
    const yesterday = new ProtocolClient(relay.url, {
      replica: newEpochReplicaId(announced.epoch - 1),
    });
    open.push(yesterday);
    await yesterday.ready();
    const retired = new ProtocolClient(relay.url, {
      replica: newEpochReplicaId(announced.epoch - 2),
    });
    open.push(retired);
    await expect(retired.ready()).rejects.toMatchObject({ data: { code: 'replica-retired' } });
    // The region closes the retired epochs (its closure receipt) within a second or so.
    const closedBelow = async () =>
      sample(await metricsOf(relay.url), 'helios_closed_epochs_below');
    let closed = await closedBelow();
    for (let i = 0; i < 50 && closed !== announced.retiredBelow; i++) {
      await new Promise((r) => setTimeout(r, 100));
      closed = await closedBelow();
    }
    expect(closed).toBe(announced.retiredBelow);
  });

  it('/healthz answers 200 JSON with the region', async () => {
    const relay = await startRelay([
      '--region',
      'sa-east-1',
      '--port',
      '0',
      '--db',
      join(dir.path, 'health.sqlite'),
      '--anonymous',
    ]);
    const res = await fetch(`${relay.url}/healthz`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ status: 'ok', region: 'sa-east-1', peers: [] });
    expect(body.relayId).toMatch(/^sa-east-1-/);
    expect((await fetch(`${relay.url}/nothing-here`)).status).toBe(404);
  });

  it('/metrics exposes connections, merges, bytes, timings, LWW conflicts and peer lag', async () => {
    const [usPort, euPort] = [await freePort(), await freePort()];
    const argsOf = (region: string, port: number, peer: string, peerPort: number) => [
      '--region',
      region,
      '--port',
      String(port),
      '--db',
      join(dir.path, `${region}-metrics.sqlite`),
      '--peer',
      `${peer}=http://127.0.0.1:${peerPort}`,
      '--peer-token',
      'peer-secret',
      '--anonymous',
    ];
    const us = await startRelay(argsOf('us-east-1', usPort, 'eu-west-1', euPort));
    const eu = await startRelay(argsOf('eu-west-1', euPort, 'us-east-1', usPort));

    const a = await clientOf(us.url);
    const b = await clientOf(us.url);
    await a.subscribe('settings', LWWMap);
    await b.subscribe('settings', LWWMap);
    await a.subscribe('tags', AWSet);
    const before = await metricsOf(us.url);
    expect(sample(before, 'helios_connections', { region: 'us-east-1' })).toBe(2);
    const conflictsBefore = sample(before, 'helios_conflicts_total', { type: 'lww-map' }) ?? 0;

    for (const tag of ['x', 'y', 'z']) await a.write('tags', (s, me) => AWSet.add(s, me, tag));
    // Concurrent: both deltas are made before either client has seen the other's write.
    const clockA = new HybridLogicalClock({ replica: a.replica });
    const clockB = new HybridLogicalClock({ replica: b.replica });
    await Promise.all([
      a.write('settings', (s) => LWWMap.set(s, clockA, 'theme', 'dark')),
      b.write('settings', (s) => LWWMap.set(s, clockB, 'theme', 'light')),
    ]);
    const afterConcurrent = await metricsOf(us.url);
    const conflicts = sample(afterConcurrent, 'helios_conflicts_total', { type: 'lww-map' }) ?? 0;
    expect(conflicts).toBe(conflictsBefore + 1);
    // A write that has seen both values replaces them: no new conflict.
    await eventually(
      () => a.docs.get('settings')!.state.context.has(b.replica, 1),
      'a has seen b’s write',
    );
    await a.write('settings', (s) => LWWMap.set(s, clockA, 'theme', 'solarized'));

    // The peer merges the region's feed and acknowledges it: the lag drops back to 0.
    let text = '';
    const deadline = Date.now() + 10_000;
    for (;;) {
      text = await metricsOf(us.url);
      if (sample(text, 'helios_peer_replication_lag_entries', { peer: 'eu-west-1' }) === 0) {
        const euText = await metricsOf(eu.url);
        const merged = sample(euText, 'helios_deltas_merged_total', {
          type: 'lww-map',
          origin: 'us-east-1',
        });
        if (merged === 3) break;
      }
      if (Date.now() > deadline) throw new Error(`peer lag never reached 0:\n${text}`);
      await sleep(50);
    }
    const merged = (type: string) =>
      sample(text, 'helios_deltas_merged_total', { type, origin: 'us-east-1' });
    expect(merged('aw-set')).toBe(3);
    expect(merged('lww-map')).toBe(3);
    expect(sample(text, 'helios_conflicts_total', { type: 'lww-map' })).toBe(conflicts);
    expect(sample(text, 'helios_bytes_in_total')).toBeGreaterThan(0);
    expect(sample(text, 'helios_merge_seconds_count')).toBe(6);
    expect(sample(text, 'helios_commit_seconds_count')).toBeGreaterThan(0);
    expect(text).toMatch(/^# TYPE helios_merge_seconds histogram$/m);
    expect(text).toMatch(/^# TYPE helios_commit_seconds histogram$/m);
    expect(sample(text, 'helios_connections', { region: 'us-east-1' })).toBe(2);
    console.log(
      `cli metrics: conflicts lww-map ${conflictsBefore} -> ${conflicts}, ` +
        `merged aw-set ${merged('aw-set')}, lww-map ${merged('lww-map')}, ` +
        `bytes in ${sample(text, 'helios_bytes_in_total')}, peer lag entries ` +
        `${sample(text, 'helios_peer_replication_lag_entries', { peer: 'eu-west-1' })}`,
    );
  });
});

describe("the package's bins", () => {
  // npm links a bin only if its file exists at install time, before any build: every bin must be
  // a committed file (bin/helios-relay.js runs dist/cli.js) and must ship in the tarball.
  const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
  const bins: Record<string, string> = JSON.parse(
    readFileSync(join(PACKAGE_DIR, 'package.json'), 'utf8'),
  ).bin;

  it('each bin is a committed file outside dist/ that runs the CLI', () => {
    expect(Object.keys(bins)).toEqual(['helios-relay']);
    for (const [name, file] of Object.entries(bins)) {
      expect(file).not.toMatch(/^(\.\/)?dist\//);
      const run = spawnSync(process.execPath, [join(PACKAGE_DIR, file), '--help'], {
        encoding: 'utf8',
        timeout: 20_000,
      });
      expect(run.status).toBe(0);
      expect(run.stdout).toContain(`Usage: ${name} --region <name> [options]`);
      expect(run.stderr).toBe(''); // dist/ exists (the test script builds first): nothing to build
    }
  });

  it('the published tarball holds each bin and the CLI it runs', () => {
    const pack = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: PACKAGE_DIR,
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(pack.status).toBe(0);
    const files = new Set(
      (JSON.parse(pack.stdout) as [{ files: { path: string }[] }])[0].files.map((f) => f.path),
    );
    for (const file of Object.values(bins)) expect(files).toContain(file.replace(/^\.\//, ''));
    expect(files).toContain('dist/cli.js');
  });
});

describe('helios-relay --hooks', () => {
  /** Writes a hooks module into the test folder and returns its path. */
  function hooksFile(name: string, source: string): string {
    const file = join(dir.path, name);
    writeFileSync(file, source);
    return file;
  }

  it('uses the module’s authenticate and authorize', async () => {
    const file = hooksFile(
      'both.mjs',
      `export const authenticate = ({ token }) => {
        if (token === 'alice-token') return { id: 'alice' };
        throw new Error('unknown token');
      };
      export const authorize = (user, doc, access) =>
        doc.startsWith(\`user:\${user.id}:\`) || (doc === 'catalog' && access === 'read');`,
    );
    const relay = await startRelay([
      '--region',
      'us-east-1',
      '--port',
      '0',
      '--db',
      join(dir.path, 'hooks.sqlite'),
      '--hooks',
      file,
    ]);
    await expect(
      new ProtocolClient(relay.url, { token: 'bob-token' }).ready(),
    ).rejects.toMatchObject({ data: { code: 'unauthenticated' } });
    const alice = await clientOf(relay.url, 'alice-token');
    await alice.subscribe('user:alice:cart', AWSet);
    await alice.write('user:alice:cart', (s, me) => AWSet.add(s, me, 'socks'));
    await alice.subscribe('user:bob:cart', AWSet);
    await alice.subscribe('catalog', AWSet);
    await expect(alice.write('catalog', (s, me) => AWSet.add(s, me, 'free'))).rejects.toMatchObject(
      { code: 'forbidden' },
    );
    expect(alice.errors.map((e) => [e.code, e.doc])).toEqual([
      ['forbidden', 'user:bob:cart'],
      ['forbidden', 'catalog'],
    ]);
    expect(alice.value('user:alice:cart')).toEqual(new Set(['socks']));
  });

  it('HELIOS_HOOKS names the module; an authorize-only module keeps the chosen authentication', async () => {
    const file = hooksFile(
      'authorize-only.mjs',
      "export const authorize = (user, doc) => user.id === 'anonymous' && doc.startsWith('public:');",
    );
    const relay = await startRelay([], {
      HELIOS_REGION: 'us-east-1',
      HELIOS_PORT: '0',
      HELIOS_DB: join(dir.path, 'hooks-env.sqlite'),
      HELIOS_ANONYMOUS: '1',
      HELIOS_HOOKS: file,
    });
    const c = await clientOf(relay.url);
    await c.subscribe('private:notes', AWSet);
    await c.subscribe('public:board', AWSet);
    await c.write('public:board', (s, me) => AWSet.add(s, me, 'hello'));
    expect(c.errors.map((e) => [e.code, e.doc])).toEqual([['forbidden', 'private:notes']]);
  });

  it('refuses to start on an unusable module, saying why', () => {
    const base = ['--region', 'us-east-1', '--port', '0', '--db', join(dir.path, 'never.sqlite')];
    const cases: [string[], RegExp][] = [
      [
        ['--anonymous', '--hooks', join(dir.path, 'missing.mjs')],
        /^--hooks: no such file .*missing\.mjs/,
      ],
      [
        ['--anonymous', '--hooks', hooksFile('broken.mjs', 'export const authorize = (;')],
        /^--hooks: .*broken\.mjs failed to load: /,
      ],
      [
        ['--anonymous', '--hooks', hooksFile('not-fn.mjs', "export const authorize = 'yes';")],
        /^--hooks: .*not-fn\.mjs exports authorize as string, not a function/,
      ],
      [
        ['--anonymous', '--hooks', hooksFile('typo.mjs', 'export const authorise = () => true;')],
        /^--hooks: .*typo\.mjs exports authorise; a hooks module exports only authenticate and\/or authorize/,
      ],
      [
        ['--anonymous', '--hooks', hooksFile('default.mjs', 'export default { authorize() {} };')],
        /^--hooks: .*default\.mjs exports default; /,
      ],
      [
        ['--anonymous', '--hooks', hooksFile('empty.mjs', 'const authorize = () => true;')],
        /^--hooks: .*empty\.mjs exports neither authenticate nor authorize/,
      ],
      [
        [
          '--jwt-secret',
          'a-secret',
          '--hooks',
          hooksFile('authn.mjs', "export const authenticate = () => ({ id: 'x' });"),
        ],
        /^--hooks: the module exports authenticate, which replaces --jwt-secret/,
      ],
    ];
    for (const [args, message] of cases) {
      const run = runCli([...base, ...args]);
      expect({ args, status: run.status, stderr: run.stderr }).toMatchObject({
        status: 1,
        stderr: expect.stringMatching(message),
      });
    }
    // Nothing was started: the store is opened only after the hooks are accepted.
    expect(existsSync(join(dir.path, 'never.sqlite'))).toBe(false);
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
