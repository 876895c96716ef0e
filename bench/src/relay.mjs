/**
 * Relay benchmark: one Helios relay (the real CLI, SQLite store, anonymous) in a child process,
 * loaded by N socket.io clients in this process, then y-websocket's own server
 * (`y-websocket/bin/server.cjs`) in a child process loaded by N y-protocols clients with the
 * same documents and rates. See RELAY.md for the method and what each figure includes.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, peakRssMb, removeOnExit, startServer, stopChild } from './proc.mjs';
import { topSelfTime } from './profile-top.mjs';
import { HeliosClient, LoadStats, YjsClient } from './relay-clients.mjs';
import { cpuPressure, probeRelay } from './relay-metrics.mjs';
import {
  connectAll,
  describePaced,
  describeSaturated,
  paced,
  pacedAtSustainableRate,
  saturate,
  sustained,
} from './relay-phases.mjs';
import { buildResults } from './relay-results.mjs';
import { loadAverage } from './results.mjs';

const require = createRequire(import.meta.url);
// The relay's CLI, next to the entry point of the built package (packages/server/dist).
// HELIOS_RELAY_CLI points at another build instead, to compare two versions in one session.
const RELAY_CLI =
  process.env.HELIOS_RELAY_CLI ??
  join(dirname(fileURLToPath(import.meta.resolve('@helios/server'))), 'cli.js');
const YWS_SERVER = join(dirname(require.resolve('y-websocket/package.json')), 'bin', 'server.cjs');

/**
 * @typedef {{
 *   clients: number, docs: number, phaseS: number, warmupS: number, rate: number,
 *   batch: number, window: number, connectBatch: number, drainMs: number,
 * }} Config
 */

/** @type {Config} */
const FULL = {
  clients: 1000,
  docs: 100,
  phaseS: 10,
  warmupS: 2,
  rate: 10_000,
  // Saturation: each Helios client keeps one push of `batch` entries in flight; each Yjs
  // client keeps `window` updates in flight (its protocol has one update per message).
  batch: 8,
  window: 8,
  connectBatch: 50,
  drainMs: 10_000,
};

/** @type {Config} */
const QUICK = { ...FULL, clients: 200, docs: 20, phaseS: 3, warmupS: 1, drainMs: 5_000 };

/** @typedef {import('./core.mjs').Result} Result */
/** @typedef {import('./relay-phases.mjs').Target} Target */

/**
 * @param {Config} cfg
 * @param {{ log: (s: string) => void, profileDir?: string }} o
 */
async function benchHelios(cfg, o) {
  const { log } = o;
  const dir = mkdtempSync(join(tmpdir(), 'helios-relay-bench-'));
  removeOnExit(dir);
  const port = await freePort();
  const nodeArgs = o.profileDir ? ['--cpu-prof', '--cpu-prof-dir', o.profileDir] : [];
  const server = await startServer(
    [
      ...nodeArgs,
      RELAY_CLI,
      '--region',
      'us-east-1',
      '--port',
      String(port),
      '--db',
      join(dir, 'relay.sqlite'),
      '--anonymous',
      '--log-level',
      'error',
    ],
    /listening on/,
  );
  const url = `http://127.0.0.1:${port}`;
  const stats = new LoadStats();
  /** @type {HeliosClient[]} */
  let clients = [];
  try {
    const t0 = performance.now();
    clients = await connectAll(
      cfg.clients,
      cfg.connectBatch,
      (i) => new HeliosClient(url, [docName(i, cfg), `solo-${i}`], stats),
    );
    log(
      `helios: ${cfg.clients} clients connected and subscribed in ` +
        `${Math.round(performance.now() - t0)} ms (${stats.errors.length} errors)`,
    );
    /** @type {Target} */
    const shared = {
      name: 'helios',
      pid: server.pid,
      stats,
      clients,
      push: (i, n) => clients[i]?.push(docName(i, cfg), n),
      others: cfg.clients / cfg.docs - 1,
      probe: () => probeRelay(url, server.pid),
    };
    const satOpts = {
      batch: cfg.batch,
      window: cfg.batch,
      drainMs: cfg.drainMs,
    };
    const warm = await saturate(shared, { ...satOpts, seconds: cfg.warmupS });
    log(`helios warm-up: ${describeSaturated(warm)}`);
    const sat = await saturate(shared, { ...satOpts, seconds: cfg.phaseS });
    log(`helios saturated: ${describeSaturated(sat)}`);
    // The same load on documents of one subscriber each: what the relay ingests without fan-out.
    /** @type {Target} */
    const solo = { ...shared, push: (i, n) => clients[i]?.push(`solo-${i}`, n), others: 0 };
    const ingest = await saturate(solo, { ...satOpts, seconds: cfg.phaseS });
    log(`helios ingest (no fan-out): ${describeSaturated(ingest)}`);
    // Peak RSS before the paced runs too: a rate the relay cannot sustain queues messages.
    const rssAfterSaturationMb = peakRssMb(server.pid);
    const paced = await pacedAtSustainableRate(
      shared,
      cfg.rate,
      sat.perSec,
      { seconds: cfg.phaseS, drainMs: cfg.drainMs, tries: 3 },
      (s) => log(s),
    );
    const rssMb = peakRssMb(server.pid);
    return { sat, ingest, paced, rssMb, rssAfterSaturationMb, errors: stats.errors.slice(0, 5) };
  } catch (err) {
    throw new Error(
      `helios relay bench failed: ${err} ${/** @type {Error} */ (err).cause ?? ''}\n` +
        `relay exit code ${server.child.exitCode}, signal ${server.child.signalCode}, output:\n` +
        server.output(),
    );
  } finally {
    for (const c of clients) c.close();
    await stopChild(server.child);
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * @param {Config} cfg
 * @param {{ log: (s: string) => void, rate: number }} o `rate`: the paced rate, the one at which
 *   the Helios relay's latencies were taken, so both are compared under the same load
 */
async function benchYjs(cfg, o) {
  const { log } = o;
  const port = await freePort();
  const server = await startServer([YWS_SERVER], /running at/, {
    env: { HOST: '127.0.0.1', PORT: String(port) },
  });
  const url = `ws://127.0.0.1:${port}`;
  const stats = new LoadStats();
  /** @type {YjsClient[]} */
  let clients = [];
  try {
    const t0 = performance.now();
    clients = await connectAll(
      cfg.clients,
      cfg.connectBatch,
      (i) => new YjsClient(url, docName(i, cfg), i, stats),
    );
    log(
      `y-websocket: ${cfg.clients} clients connected and synced in ` +
        `${Math.round(performance.now() - t0)} ms (${stats.errors.length} errors)`,
    );
    /** @type {Target} */
    const target = {
      name: 'y-websocket',
      pid: server.pid,
      stats,
      clients,
      push: (i, n) => {
        for (let k = 0; k < n; k++) clients[i]?.update();
      },
      others: cfg.clients / cfg.docs - 1,
    };
    const satOpts = { batch: 1, window: cfg.window, drainMs: cfg.drainMs };
    const warm = await saturate(target, { ...satOpts, seconds: cfg.warmupS });
    log(`y-websocket warm-up: ${describeSaturated(warm)}`);
    const sat = await saturate(target, { ...satOpts, seconds: cfg.phaseS });
    log(`y-websocket saturated: ${describeSaturated(sat)}`);
    const rssAfterSaturationMb = peakRssMb(server.pid);
    const p = await paced(target, { seconds: cfg.phaseS, drainMs: cfg.drainMs, rate: o.rate });
    const ok = sustained(p);
    log(`y-websocket paced ${o.rate}/s${ok ? '' : ' (NOT sustained)'}: ${describePaced(p)}`);
    const rssMb = peakRssMb(server.pid);
    return {
      sat,
      paced: { ...p, sustained: ok },
      rssMb,
      rssAfterSaturationMb,
      errors: stats.errors.slice(0, 5),
    };
  } catch (err) {
    throw new Error(`y-websocket bench failed: ${err}\nserver output:\n${server.output()}`);
  } finally {
    for (const c of clients) c.close();
    await stopChild(server.child);
  }
}

/**
 * @param {number} i
 * @param {Config} cfg
 */
function docName(i, cfg) {
  return `cart-${String(i % cfg.docs).padStart(4, '0')}`;
}

/**
 * @param {{ quick: boolean, log: (s: string) => void, only?: string[], profile?: boolean }} opts
 *   `only: ['helios']` skips y-websocket (for profiling the relay); the rows then have no peer.
 * @returns {Promise<Result[]>}
 */
export async function runRelay({ quick, log, only, profile = process.argv.includes('--profile') }) {
  const cfg = quick ? QUICK : FULL;
  if (cfg.clients % cfg.docs !== 0) throw new Error('clients must be a multiple of docs');
  // Everything is bounded in time; this is the backstop if something hangs anyway.
  const watchdog = setTimeout(() => {
    console.error('relay bench: watchdog fired after 8 minutes; killing the servers');
    process.exit(1);
  }, 8 * 60_000);
  watchdog.unref();
  const subscribers = cfg.clients / cfg.docs;
  log(
    `relay: ${cfg.clients} clients, ${cfg.docs} documents (${subscribers} subscribers each), ` +
      `${cfg.phaseS} s phases, load ${loadAverage()}, CPU pressure ${cpuPressure() ?? '?'}%`,
  );
  const profileDir = profile ? mkdtempSync(join(tmpdir(), 'helios-relay-prof-')) : undefined;
  try {
    const h = await benchHelios(cfg, { log, ...(profileDir ? { profileDir } : {}) });
    const y =
      only === undefined || only.includes('y-websocket')
        ? await benchYjs(cfg, { log, rate: h.paced.rate })
        : undefined;
    if (profileDir) {
      const file = readdirSync(profileDir).find((f) => f.endsWith('.cpuprofile'));
      if (file) {
        const top = topSelfTime(join(profileDir, file), 20);
        log(`relay CPU profile: ${join(profileDir, file)} (${top.totalMs} ms sampled)`);
        for (const r of top.functions)
          log(
            `  ${(r.share * 100).toFixed(1).padStart(5)}% ${String(r.ms).padStart(6)} ms  ${r.name}`,
          );
        log("  inclusive time of the relay's own functions:");
        for (const r of top.inclusive.slice(0, 15))
          log(
            `  ${(r.share * 100).toFixed(1).padStart(5)}% ${String(r.ms).padStart(6)} ms  ${r.name}`,
          );
        log('  by package / file:');
        for (const r of top.areas.slice(0, 12))
          log(
            `  ${(r.share * 100).toFixed(1).padStart(5)}% ${String(r.ms).padStart(6)} ms  ${r.name}`,
          );
      }
    }
    if (y !== undefined) return buildResults(cfg, h, y);
    // Without the peer: the same rows, minus the comparison.
    const none = { perSec: Number.NaN, fanoutPerSec: Number.NaN, serverCpu: Number.NaN };
    const nan = /** @type {Awaited<ReturnType<typeof benchYjs>>} */ (
      /** @type {unknown} */ ({
        sat: none,
        paced: { ...h.paced, rate: Number.NaN },
        rssMb: Number.NaN,
        rssAfterSaturationMb: Number.NaN,
      })
    );
    return buildResults(cfg, h, nan).map(({ peer, peerValue, ratio, ...r }) => r);
  } finally {
    clearTimeout(watchdog);
  }
}

/** @typedef {Awaited<ReturnType<typeof benchHelios>>} HeliosRun */
/** @typedef {Awaited<ReturnType<typeof benchYjs>>} YjsRun */
