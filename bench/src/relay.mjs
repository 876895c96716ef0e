/**
 * Relay benchmark: one Helios relay (the real CLI, SQLite store, anonymous) in a child process,
 * loaded by N socket.io clients in this process, then each peer Yjs server (relay-peers.mjs) in a
 * child process, loaded by N y-protocols clients with the same documents, batching and rates.
 * See RELAY.md for the method and what each figure includes.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  freePort,
  peakRssMb,
  removeOnExit,
  SERVER_NODE_FLAGS,
  startServer,
  stopChild,
} from './proc.mjs';
import { topSelfTime } from './profile-top.mjs';
import { HeliosClient, LoadStats } from './relay-clients.mjs';
import { cpuPressure, probeRelay } from './relay-metrics.mjs';
import { describeStoreLag, PEERS, storeLag } from './relay-peers.mjs';
import {
  connectAll,
  describePaced,
  describeSaturated,
  paced,
  pacedAtSustainableRate,
  roundRate,
  saturate,
  sustained,
} from './relay-phases.mjs';
import { describeRestart, restartStorm } from './relay-restart.mjs';
import { buildResults } from './relay-results.mjs';
import { loadAverage, packageVersion } from './results.mjs';
import { YjsClient } from './yjs-clients.mjs';

// The relay's CLI, next to the entry point of the built package (packages/server/dist).
// HELIOS_RELAY_CLI points at another build instead, to compare two versions in one session.
export const RELAY_CLI =
  process.env.HELIOS_RELAY_CLI ??
  join(dirname(fileURLToPath(import.meta.resolve('@helios/server'))), 'cli.js');

/**
 * @typedef {{
 *   clients: number, docs: number, phaseS: number, warmupS: number, rate: number,
 *   batch: number, connectBatch: number, drainMs: number,
 * }} Config
 */

/** @type {Config} */
const FULL = {
  clients: 1000,
  docs: 100,
  phaseS: 10,
  warmupS: 2,
  rate: 10_000,
  // Saturation: each client keeps one message of `batch` writes in flight (Helios: a push of
  // `batch` deltas; Yjs: one update of `batch` map.sets made in one transaction).
  batch: 8,
  connectBatch: 50,
  drainMs: 10_000,
};

/** @type {Config} */
const QUICK = { ...FULL, clients: 200, docs: 20, phaseS: 3, warmupS: 1, drainMs: 5_000 };

/**
 * Shares of the saturated rate at which push → ack latency is measured besides half of it.
 * The paced phases' rates are rounded (`roundRate`), so each row states the rate it ran at.
 */
const LIGHTER_LOADS = [0.1, 0.25];

/** @typedef {import('./core.mjs').Result} Result */
/** @typedef {Awaited<ReturnType<typeof paced>> & { share: number }} LightLoad */
/** @typedef {import('./relay-phases.mjs').Target} Target */

/**
 * The relay's command line in this benchmark: one region, SQLite at `db`, anonymous clients.
 * @param {number} port
 * @param {string} db
 */
export function relayCliArgs(port, db) {
  return [
    '--region',
    'us-east-1',
    '--port',
    String(port),
    '--db',
    db,
    '--anonymous',
    '--log-level',
    'error',
  ];
}

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
  const cliArgs = relayCliArgs(port, join(dir, 'relay.sqlite'));
  const start = () =>
    startServer([...SERVER_NODE_FLAGS, ...nodeArgs, RELAY_CLI, ...cliArgs], /listening on/);
  let server = await start();
  const config = {
    server: `helios-relay CLI (@helios/server ${packageVersion('@helios/server')}), one process`,
    args: cliArgs.join(' ').replace(dir, '<tmp>').replace(String(port), '<port>'),
    nodeFlags: SERVER_NODE_FLAGS.join(' '),
    batching:
      `${cfg.batch} deltas per push message, one push in flight per client at saturation; ` +
      'paced: one delta per push',
    store:
      'SQLite, WAL, synchronous = FULL: every group commit is fsynced; ' +
      "a document's snapshot every 16 changes (the store's default), not synced: it restates " +
      'committed changes',
    ack: 'after the group commit holding the delta is fsynced',
    onDisk: 'when acked',
    durableAck: true,
    storesEveryWrite: true,
  };
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
      pids: [server.pid],
      stats,
      clients,
      push: (i, n) => clients[i]?.push(docName(i, cfg), n),
      others: cfg.clients / cfg.docs - 1,
      probe: () => probeRelay(url, server.pid),
    };
    const satOpts = { batch: cfg.batch, drainMs: cfg.drainMs };
    const warm = await saturate(shared, { ...satOpts, seconds: cfg.warmupS });
    log(`helios warm-up: ${describeSaturated(warm)}`);
    const sat = await saturate(shared, { ...satOpts, seconds: cfg.phaseS });
    log(`helios saturated: ${describeSaturated(sat)}`);
    // Half the saturated rate, in the same pushes of `batch` deltas: the latency of a relay
    // with headroom, which is how a relay should be run.
    const half = await paced(shared, {
      seconds: cfg.phaseS,
      drainMs: cfg.drainMs,
      rate: roundRate(sat.perSec / 2),
      batch: cfg.batch,
    });
    log(
      `helios at half load, ${half.rate}/s in pushes of ${cfg.batch}${sustained(half) ? '' : ' (NOT sustained)'}: ${describePaced(half)}`,
    );
    // Lighter loads, the same way: where the latency's floor is, below the relay's own queueing.
    /** @type {LightLoad[]} */
    const lighter = [];
    for (const share of LIGHTER_LOADS) {
      const p = await paced(shared, {
        seconds: cfg.phaseS,
        drainMs: cfg.drainMs,
        rate: roundRate(sat.perSec * share),
        batch: cfg.batch,
      });
      lighter.push({ ...p, share });
      log(
        `helios at ${share * 100}% load, ${p.rate}/s in pushes of ${cfg.batch}${sustained(p) ? '' : ' (NOT sustained)'}: ${describePaced(p)}`,
      );
    }
    // The same load on documents of one subscriber each: what the relay ingests without fan-out.
    /** @type {Target} */
    const solo = { ...shared, push: (i, n) => clients[i]?.push(`solo-${i}`, n), others: 0 };
    const ingest = await saturate(solo, { ...satOpts, seconds: cfg.phaseS });
    log(`helios ingest (no fan-out): ${describeSaturated(ingest)}`);
    // Peak RSS before the paced runs too: a rate the relay cannot sustain queues messages.
    const rssAfterSaturationMb = peakRssMb(server.pid);
    const atRate = await pacedAtSustainableRate(
      shared,
      cfg.rate,
      sat.perSec,
      { seconds: cfg.phaseS, drainMs: cfg.drainMs, tries: 3 },
      (s) => log(s),
    );
    const rssMb = peakRssMb(server.pid);
    // A deploy, then a crash: the same port and database, the same clients coming back.
    /** @type {Awaited<ReturnType<typeof restartStorm>>[]} */
    const restarts = [];
    for (const signal of /** @type {const} */ (['SIGTERM', 'SIGKILL'])) {
      const r = await restartStorm(server, start, clients, signal);
      server = r.relay;
      restarts.push(r);
      log(`helios restart, ${describeRestart(r)}`);
    }
    return {
      config,
      sat,
      half,
      lighter,
      ingest,
      paced: atRate,
      restarts,
      rssMb,
      rssAfterSaturationMb,
      errors: stats.errors.slice(0, 5),
    };
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
 * One peer under the same clients, documents, batching and phases as the relay (no ingest phase):
 * saturation, then one paced run at the rate the relay's latencies were taken at.
 * @param {import('./relay-peers.mjs').Peer} peer
 * @param {Config} cfg
 * @param {{ log: (s: string) => void, rate: number }} o `rate`: the relay's paced rate
 */
async function benchPeer(peer, cfg, o) {
  const { log } = o;
  const { name } = peer;
  const running = await peer.start(cfg.batch);
  const { server } = running;
  const stats = new LoadStats();
  /** @type {YjsClient[]} */
  let clients = [];
  try {
    const t0 = performance.now();
    clients = await connectAll(
      cfg.clients,
      cfg.connectBatch,
      (i) => new YjsClient(peer.dialect, running.url, docName(i, cfg), i, stats),
    );
    log(
      `${name}: ${cfg.clients} clients connected and synced in ` +
        `${Math.round(performance.now() - t0)} ms (${stats.errors.length} errors)`,
    );
    /** @type {Target} */
    const target = {
      name,
      pids: [server.pid],
      stats,
      clients,
      push: (i, n) => clients[i]?.push(n),
      others: cfg.clients / cfg.docs - 1,
    };
    const satOpts = { batch: cfg.batch, drainMs: cfg.drainMs };
    const warm = await saturate(target, { ...satOpts, seconds: cfg.warmupS });
    log(`${name} warm-up: ${describeSaturated(warm)}`);
    const stores0 = await running.stores?.();
    const sat = await saturate(target, { ...satOpts, seconds: cfg.phaseS });
    const onDisk =
      running.stores && stores0
        ? await storeLag(running.stores, stores0, sat.endedAt, cfg)
        : undefined;
    log(
      `${name} saturated: ${describeSaturated(sat)}${onDisk ? `; ${describeStoreLag(onDisk)}` : ''}`,
    );
    const rssAfterSaturationMb = peakRssMb(server.pid);
    const p = await paced(target, { seconds: cfg.phaseS, drainMs: cfg.drainMs, rate: o.rate });
    const ok = sustained(p);
    log(`${name} paced ${o.rate}/s${ok ? '' : ' (NOT sustained)'}: ${describePaced(p)}`);
    const rssMb = peakRssMb(server.pid);
    return {
      name,
      durable: peer.durable,
      config: running.config,
      sat,
      onDisk,
      paced: { ...p, sustained: ok },
      rssMb,
      rssAfterSaturationMb,
      errors: stats.errors.slice(0, 5),
    };
  } catch (err) {
    throw new Error(`${name} bench failed: ${err}\nserver output:\n${server.output()}`);
  } finally {
    for (const c of clients) c.close();
    await stopChild(server.child);
    running.cleanup();
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
 *   `only`: the peers to run besides the relay, by name (`--only=helios`: none, for profiling
 *   the relay; the rows then have no peer).
 */
export async function runRelay({ quick, log, only, profile = process.argv.includes('--profile') }) {
  const cfg = quick ? QUICK : FULL;
  if (cfg.clients % cfg.docs !== 0) throw new Error('clients must be a multiple of docs');
  const peers = PEERS.filter((p) => only === undefined || only.includes(p.name));
  // Everything is bounded in time; this is the backstop if something hangs anyway.
  const watchdogMin = 4 + 3 * peers.length;
  const watchdog = setTimeout(() => {
    console.error(`relay bench: watchdog fired after ${watchdogMin} minutes; killing the servers`);
    process.exit(1);
  }, watchdogMin * 60_000);
  watchdog.unref();
  const subscribers = cfg.clients / cfg.docs;
  log(
    `relay: ${cfg.clients} clients, ${cfg.docs} documents (${subscribers} subscribers each), ` +
      `${cfg.phaseS} s phases, load ${loadAverage()}, CPU pressure ${cpuPressure() ?? '?'}%`,
  );
  const profileDir = profile ? mkdtempSync(join(tmpdir(), 'helios-relay-prof-')) : undefined;
  try {
    const h = await benchHelios(cfg, { log, ...(profileDir ? { profileDir } : {}) });
    /** @type {PeerRun[]} */
    const runs = [];
    for (const peer of peers) runs.push(await benchPeer(peer, cfg, { log, rate: h.paced.rate }));
    if (profileDir) logProfile(profileDir, log);
    return {
      results: buildResults(cfg, h, runs),
      config: {
        run: cfg,
        contenders: Object.fromEntries([
          ['helios', h.config],
          ...runs.map((r) => [r.name, r.config]),
        ]),
      },
    };
  } finally {
    clearTimeout(watchdog);
  }
}

/**
 * Prints the top of the relay's CPU profiles.
 * @param {string} profileDir
 * @param {(s: string) => void} log
 */
function logProfile(profileDir, log) {
  // One per relay process that exited (a killed one writes none): the first covers the load
  // phases, the last the clients' return after the crash. Names are CPU.<date>.<time>.<pid>.
  // <thread>.<n>: thread 0 is the event loop (the others are the store's worker threads).
  const files = readdirSync(profileDir)
    .filter((f) => /^CPU\.\d+\.\d+\.\d+\.0\.\d+\.cpuprofile$/.test(f))
    .sort();
  const first = files[0];
  const last = files.at(-1);
  if (first) logProfileFile(join(profileDir, first), 'the load phases', log);
  if (last && last !== first) logProfileFile(join(profileDir, last), 'after the crash', log);
}

/**
 * @param {string} file
 * @param {string} what
 * @param {(s: string) => void} log
 */
function logProfileFile(file, what, log) {
  const top = topSelfTime(file, 20);
  const row = (/** @type {{ share: number, ms: number, name: string }} */ r) =>
    log(`  ${(r.share * 100).toFixed(1).padStart(5)}% ${String(r.ms).padStart(6)} ms  ${r.name}`);
  log(`relay CPU profile, ${what}: ${file} (${top.totalMs} ms sampled)`);
  for (const r of top.functions) row(r);
  log("  inclusive time of the relay's own functions:");
  for (const r of top.inclusive.slice(0, 15)) row(r);
  log('  by package / file:');
  for (const r of top.areas.slice(0, 12)) row(r);
}

/** @typedef {Awaited<ReturnType<typeof benchHelios>>} HeliosRun */
/** @typedef {Awaited<ReturnType<typeof benchPeer>>} PeerRun */
