/**
 * Relay benchmark: one Helios relay (the real CLI, SQLite store, anonymous) in a child process,
 * loaded by N socket.io clients in this process, then y-websocket's own server
 * (`y-websocket/bin/server.cjs`) in a child process loaded by N y-protocols clients with the
 * same documents and rates. See RELAY.md for the method and what each figure includes.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  cpuSeconds,
  freePort,
  ownCpuSeconds,
  peakRssMb,
  removeOnExit,
  startServer,
  stopChild,
  writeSyscalls,
} from './proc.mjs';
import { topSelfTime } from './profile-top.mjs';
import { HeliosClient, LoadStats, YjsClient } from './relay-clients.mjs';
import { loadAverage, packageVersion } from './results.mjs';
import { percentile } from './stats.mjs';

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

const sleep = (/** @type {number} */ ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `done` every 20 ms until it holds or `timeoutMs` passes.
 * @param {() => boolean} done
 * @param {number} timeoutMs
 * @returns {Promise<boolean>} whether it held
 */
async function until(done, timeoutMs) {
  const deadline = performance.now() + timeoutMs;
  while (!done()) {
    if (performance.now() > deadline) return false;
    await sleep(20);
  }
  return true;
}

/**
 * Connects `count` clients, `batch` at a time.
 * @template {{ start(timeoutMs?: number): Promise<void> }} C
 * @param {number} count
 * @param {number} batch
 * @param {(i: number) => C} make
 * @returns {Promise<C[]>}
 */
async function connectAll(count, batch, make) {
  /** @type {C[]} */
  const clients = [];
  for (let i = 0; i < count; i += batch) {
    const started = [];
    for (let j = i; j < Math.min(count, i + batch); j++) {
      const c = make(j);
      clients.push(c);
      started.push(c.start());
    }
    await Promise.all(started);
  }
  return clients;
}

/**
 * A server under load, as the phases below see it: clients that push one unit (a delta, an
 * update) to their shared document and report acks through `LoadStats`.
 * @typedef {{
 *   name: string,
 *   pid: number,
 *   stats: LoadStats,
 *   clients: { outstanding: number, lost: boolean, onAck: () => void }[],
 *   push: (client: number, n: number) => void,
 *   others: number,
 *   probe?: () => Promise<Map<string, number>>,
 * }} Target
 */

/**
 * Saturation: every client pushes again as soon as its previous push is acked (Helios: one push
 * of `batch` entries in flight; Yjs: `window` single updates in flight). Counts units acked and
 * fan-out messages received during `seconds`, then drains and checks every acked unit reached
 * every other subscriber of its document.
 * @param {Target} t
 * @param {{ seconds: number, batch: number, window: number, drainMs: number }} o
 */
async function saturate(t, o) {
  const { stats } = t;
  let running = true;
  t.clients.forEach((c, i) => {
    c.onAck = () => {
      while (running && c.outstanding + o.batch <= o.window) t.push(i, o.batch);
    };
  });
  stats.reset();
  stats.timing = false;
  const m0 = await t.probe?.();
  const cpu0 = cpuSeconds(t.pid);
  const writes0 = writeSyscalls(t.pid);
  const own0 = ownCpuSeconds();
  const started = performance.now();
  for (const c of t.clients) c.onAck();
  await sleep(o.seconds * 1000);
  const elapsed = (performance.now() - started) / 1000;
  const acked = stats.acked;
  const fanout = stats.fanout;
  const serverCpu = (cpuSeconds(t.pid) - cpu0) / elapsed;
  const writesPerDelta = (writeSyscalls(t.pid) - writes0) / acked;
  const ownCpu = (ownCpuSeconds() - own0) / elapsed;
  running = false;
  const m1 = await t.probe?.();
  const drained = await until(
    () =>
      t.clients.every((c) => c.outstanding === 0 || c.lost) &&
      stats.fanout >= stats.acked * t.others,
    o.drainMs,
  );
  await sleep(200); // anything past the expected count would be a duplicate: let it show
  for (const c of t.clients) c.onAck = () => {};
  return {
    perSec: acked / elapsed,
    fanoutPerSec: fanout / elapsed,
    serverCpu,
    writesPerDelta,
    ownCpu,
    drained,
    sent: stats.sent,
    acked: stats.acked,
    fanoutTotal: stats.fanout,
    fanoutExpected: stats.acked * t.others,
    errors: stats.errors.length,
    disconnects: stats.disconnects.length,
    server: m0 && m1 ? relayInternals(m0, m1, elapsed) : undefined,
  };
}

/**
 * Fixed rate: `rate` units per second in total, one unit per push, sent round-robin over the
 * clients from a 1 ms timer (a late tick sends what is due, as a burst). Latencies are taken
 * from just before the send to the ack (push→ack) and to each other subscriber's receipt
 * (push→other-client), all in this process's clock.
 * @param {Target} t
 * @param {{ seconds: number, rate: number, drainMs: number }} o
 */
async function paced(t, o) {
  const { stats } = t;
  stats.reset();
  stats.timing = true;
  const m0 = await t.probe?.();
  const cpu0 = cpuSeconds(t.pid);
  const own0 = ownCpuSeconds();
  const started = performance.now();
  const end = started + o.seconds * 1000;
  let sent = 0;
  let next = 0;
  let maxBacklog = 0;
  await new Promise((resolve) => {
    const timer = setInterval(() => {
      const now = performance.now();
      const due = Math.floor((Math.min(now, end) - started) * (o.rate / 1000));
      for (; sent < due; sent++) {
        t.push(next, 1);
        next = (next + 1) % t.clients.length;
      }
      maxBacklog = Math.max(maxBacklog, stats.sent - stats.acked);
      if (now >= end) {
        clearInterval(timer);
        resolve(undefined);
      }
    }, 1);
  });
  const elapsed = (performance.now() - started) / 1000;
  const ackedInWindow = stats.acked;
  const serverCpu = (cpuSeconds(t.pid) - cpu0) / elapsed;
  const ownCpu = (ownCpuSeconds() - own0) / elapsed;
  const m1 = await t.probe?.();
  const drained = await until(
    () =>
      t.clients.every((c) => c.outstanding === 0 || c.lost) &&
      stats.fanout >= stats.acked * t.others,
    o.drainMs,
  );
  await sleep(200);
  stats.timing = false;
  const result = {
    rate: o.rate,
    sent: stats.sent,
    sentPerSec: stats.sent / elapsed,
    ackedInWindowPerSec: ackedInWindow / elapsed,
    maxBacklog,
    serverCpu,
    ownCpu,
    drained,
    fanoutTotal: stats.fanout,
    fanoutExpected: stats.acked * t.others,
    unmatched: stats.unmatched,
    errors: stats.errors.length,
    disconnects: stats.disconnects.length,
    ackP50: stats.ackMs.length > 0 ? percentile(stats.ackMs, 50) : Number.NaN,
    ackP99: stats.ackMs.length > 0 ? percentile(stats.ackMs, 99) : Number.NaN,
    fanoutP50: stats.fanoutMs.length > 0 ? percentile(stats.fanoutMs, 50) : Number.NaN,
    fanoutP99: stats.fanoutMs.length > 0 ? percentile(stats.fanoutMs, 99) : Number.NaN,
    fanoutSamples: stats.fanoutMs.length,
    server: m0 && m1 ? relayInternals(m0, m1, elapsed) : undefined,
  };
  stats.reset();
  return result;
}

/**
 * Whether a paced run kept up: (nearly) everything sent was acked within the window, and the
 * backlog never reached a full second of load.
 * @param {Awaited<ReturnType<typeof paced>>} p
 */
function sustained(p) {
  return p.ackedInWindowPerSec >= 0.95 * p.rate && p.maxBacklog < p.rate && p.drained;
}

/**
 * Runs `paced` at `rate` (never above 0.9 of the saturated throughput), halving the rate while
 * the server does not keep up, at most `tries` times in all. The last run is returned, with
 * `sustained` telling whether it kept up.
 * @param {Target} t
 * @param {number} rate
 * @param {number} saturated
 * @param {{ seconds: number, drainMs: number, tries: number }} o
 * @param {(s: string) => void} log
 */
async function pacedAtSustainableRate(t, rate, saturated, o, log) {
  let r = Math.min(rate, roundRate(0.9 * saturated));
  for (let attempt = 1; ; attempt++) {
    const p = await paced(t, { ...o, rate: r });
    const ok = sustained(p);
    log(`${t.name} paced ${r}/s${ok ? '' : ' (NOT sustained)'}: ${describePaced(p)}`);
    if (ok || attempt >= o.tries) return { ...p, sustained: ok };
    r = roundRate(r / 2);
  }
}

/** @param {number} r */
function roundRate(r) {
  const step = r >= 2000 ? 500 : r >= 200 ? 50 : 10;
  return Math.max(step, Math.floor(r / step) * step);
}

/** @param {Awaited<ReturnType<typeof paced>>} p */
function describePaced(p) {
  return (
    `acked ${Math.round(p.ackedInWindowPerSec)}/s, max backlog ${p.maxBacklog}, ` +
    `ack p50/p99 ${p.ackP50.toFixed(2)}/${p.ackP99.toFixed(2)} ms, ` +
    `fan-out p50/p99 ${p.fanoutP50.toFixed(2)}/${p.fanoutP99.toFixed(2)} ms ` +
    `(${p.fanoutSamples} samples, ${p.unmatched} unmatched, ${p.disconnects} disconnects), ` +
    `server CPU ${pct(p.serverCpu)}, generator CPU ${pct(p.ownCpu)}${describeInternals(p.server)}`
  );
}

/** @param {Awaited<ReturnType<typeof saturate>>} s */
function describeSaturated(s) {
  return (
    `${Math.round(s.perSec)}/s acked, ${Math.round(s.fanoutPerSec)}/s fanned out, ` +
    `server CPU ${pct(s.serverCpu)} (${s.writesPerDelta.toFixed(2)} write syscalls per delta), ` +
    `generator CPU ${pct(s.ownCpu)}, fan-out ${s.fanoutTotal}/${s.fanoutExpected}${s.drained ? '' : ' (NOT drained)'}, ` +
    `${s.errors} errors, ${s.disconnects} disconnects${describeInternals(s.server)}`
  );
}

const pct = (/** @type {number} */ x) => `${Math.round(x * 100)}%`;

/**
 * The relay's Prometheus metrics as `name{labels}` → value (its own /metrics endpoint).
 * @param {string} url
 */
export async function scrape(url) {
  // A fresh connection each time: a kept-alive one may be closed by the relay's idle timeout
  // just as it is reused (ECONNRESET), which its stalled event loop makes likely.
  const get = () =>
    fetch(`${url}/metrics`, {
      headers: { connection: 'close' },
      signal: AbortSignal.timeout(15_000),
    }).then((r) => r.text());
  const text = await get().catch(get);
  /** @type {Map<string, number>} */
  const out = new Map();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(
      line
        .slice(0, at)
        .replace(/,?region="[^"]*"/, '')
        .replace('{}', ''),
      Number(line.slice(at + 1)),
    );
  }
  return out;
}

/**
 * What the relay's own metrics say about a phase: group commits (count, mean size, share of
 * the window spent committing, which blocks its event loop: better-sqlite3 is synchronous) and
 * its event-loop delay (prom-client's histogram, reset by each scrape).
 * @param {Map<string, number>} a at the start of the window
 * @param {Map<string, number>} b at its end
 * @param {number} seconds
 */
export function relayInternals(a, b, seconds) {
  const d = (/** @type {string} */ k) => (b.get(k) ?? 0) - (a.get(k) ?? 0);
  const commits = d('helios_commit_seconds_count');
  return {
    commitsPerSec: commits / seconds,
    meanBatch: commits > 0 ? d('helios_commit_batch_size_sum') / commits : 0,
    meanCommitMs: commits > 0 ? (d('helios_commit_seconds_sum') / commits) * 1000 : 0,
    commitShare: d('helios_commit_seconds_sum') / seconds,
    mergeShare: d('helios_merge_seconds_sum') / seconds,
    loopDelayP50Ms: (b.get('nodejs_eventloop_lag_p50_seconds') ?? Number.NaN) * 1000,
    loopDelayP99Ms: (b.get('nodejs_eventloop_lag_p99_seconds') ?? Number.NaN) * 1000,
    loopDelayMaxMs: (b.get('nodejs_eventloop_lag_max_seconds') ?? Number.NaN) * 1000,
  };
}

/** @param {ReturnType<typeof relayInternals> | undefined} r */
export function describeInternals(r) {
  if (r === undefined) return '';
  return (
    `; relay: ${Math.round(r.commitsPerSec)} commits/s of ${Math.round(r.meanBatch)} deltas ` +
    `(${r.meanCommitMs.toFixed(1)} ms each, ${pct(r.commitShare)} of the time), ` +
    `event-loop delay p50/p99/max ${r.loopDelayP50Ms.toFixed(0)}/${r.loopDelayP99Ms.toFixed(0)}/` +
    `${r.loopDelayMaxMs.toFixed(0)} ms`
  );
}

/** The 10-second CPU pressure of the machine (share of time some task waited for a CPU). */
export function cpuPressure() {
  try {
    const text = readFileSync('/proc/pressure/cpu', 'utf8');
    const m = /some avg10=([\d.]+)/.exec(text);
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
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
      probe: () => scrape(url),
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
 * How a paced figure was taken: at the goal's rate, or at a lower one because the relay did not
 * keep up with it.
 * @param {{ rate: number, sustained: boolean, ackedInWindowPerSec: number, maxBacklog: number }} p
 * @param {number} target
 */
function rateNote(p, target) {
  const kept = `acked ${Math.round(p.ackedInWindowPerSec)}/s, backlog at most ${p.maxBacklog}`;
  if (p.rate === target && p.sustained) return `at ${p.rate} deltas/s (${kept})`;
  if (p.sustained)
    return `at ${p.rate} deltas/s, the highest rate sustained of those tried: ${target}/s was not (${kept})`;
  return `at ${p.rate} deltas/s, NOT sustained either (the lowest rate tried; ${kept}): the latencies include queueing`;
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

/**
 * @param {Config} cfg
 * @param {Awaited<ReturnType<typeof benchHelios>>} h
 * @param {Awaited<ReturnType<typeof benchYjs>>} y
 * @returns {Result[]}
 */
function buildResults(cfg, h, y) {
  const subscribers = cfg.clients / cfg.docs;
  const shape = `${cfg.clients} clients, ${cfg.docs} docs × ${subscribers} subscribers`;
  const ywsVersion = packageVersion('y-websocket');
  const fanoutCheck = (/** @type {{ fanoutTotal: number, fanoutExpected: number }} */ s) =>
    s.fanoutTotal === s.fanoutExpected
      ? `every acked delta reached the ${subscribers - 1} other subscribers (${s.fanoutTotal} receipts)`
      : `FAN-OUT MISMATCH: ${s.fanoutTotal} receipts, ${s.fanoutExpected} expected`;
  /** @type {Result[]} */
  const results = [];
  results.push({
    metric: 'relayDeltasPerSec',
    value: round(h.sat.perSec),
    unit: 'deltas/s',
    better: 'higher',
    peer: 'y-websocket',
    peerValue: round(y.sat.perSec),
    ratio: ratio(h.sat.perSec, y.sat.perSec),
    goal: '>= 50000',
    goalMet: h.sat.perSec >= 50_000,
    note:
      `${shape}; closed loop, each client one push of ${cfg.batch} entries in flight ` +
      `(y-websocket ${ywsVersion}: ${cfg.window} single-update messages in flight, counted when ` +
      `its server echoes them back to the sender, which is not durable; Helios counts durable ` +
      `acks). Fan-out ${round(h.sat.fanoutPerSec)}/s (y-websocket ${round(y.sat.fanoutPerSec)}/s); ` +
      `${fanoutCheck(h.sat)}; y-websocket: ${fanoutCheck(y.sat)}. ` +
      `CPU during the phase: relay ${pct(h.sat.serverCpu)} / generator ${pct(h.sat.ownCpu)}, ` +
      `y-websocket ${pct(y.sat.serverCpu)} / generator ${pct(y.sat.ownCpu)}.`,
  });
  results.push({
    metric: 'relayFanoutPerSec',
    value: round(h.sat.fanoutPerSec),
    unit: 'msgs/s',
    better: 'higher',
    peer: 'y-websocket',
    peerValue: round(y.sat.fanoutPerSec),
    ratio: ratio(h.sat.fanoutPerSec, y.sat.fanoutPerSec),
    note: `delta messages received by the other subscribers during the saturation phase (${shape})`,
  });
  const cpuUs = (/** @type {{ serverCpu: number, perSec: number }} */ s) =>
    (s.serverCpu / s.perSec) * 1e6;
  results.push({
    metric: 'relayCpuUsPerDelta',
    value: round(cpuUs(h.sat)),
    unit: 'µs',
    better: 'lower',
    peer: 'y-websocket',
    peerValue: round(cpuUs(y.sat)),
    ratio: ratio(cpuUs(y.sat), cpuUs(h.sat)),
    note:
      `server CPU time (user + system, /proc/<pid>/stat) per delta during the saturation phase, ` +
      `fan-out to ${subscribers - 1} subscribers included: the cost that bounds throughput on ` +
      `an idle core (1e6 / this), and a figure other processes on the machine disturb less ` +
      `than throughput. Without fan-out (ingest phase): ${round(cpuUs(h.ingest))} µs.`,
  });
  results.push({
    metric: 'relayIngestDeltasPerSec',
    value: round(h.ingest.perSec),
    unit: 'deltas/s',
    better: 'higher',
    note:
      `the same closed loop on ${cfg.clients} documents of one subscriber each (no fan-out): ` +
      `decode, validate, merge, group commit, ack; relay CPU ${pct(h.ingest.serverCpu)}, ` +
      `generator ${pct(h.ingest.ownCpu)}`,
  });
  const hp = h.paced;
  const yp = y.paced;
  const pacedNote = (/** @type {string} */ what) =>
    `${what}; Helios ${rateNote(hp, cfg.rate)}; y-websocket at the same rate ` +
    `(${yp.sustained ? 'sustained' : 'NOT sustained'}); one delta per push, round-robin over ` +
    `${cfg.clients} clients, for ${cfg.phaseS} s; relay CPU ${pct(hp.serverCpu)}, generator ` +
    `${pct(hp.ownCpu)}; y-websocket CPU ${pct(yp.serverCpu)}, generator ${pct(yp.ownCpu)}`;
  const atGoalRate = hp.rate === cfg.rate && hp.sustained;
  results.push({
    metric: 'pushAckP50Ms',
    value: round2(hp.ackP50),
    unit: 'ms',
    better: 'lower',
    note: pacedNote('push → durable ack (SQLite WAL, synchronous=FULL); y-websocket has no ack'),
  });
  results.push({
    metric: 'pushAckP99Ms',
    value: round2(hp.ackP99),
    unit: 'ms',
    better: 'lower',
    goal: '<= 5',
    goalMet: hp.ackP99 <= 5 && atGoalRate,
    note: pacedNote('push → durable ack'),
  });
  for (const [metric, ours, peer, goal] of /** @type {const} */ ([
    ['fanoutP50Ms', hp.fanoutP50, yp.fanoutP50, undefined],
    ['fanoutP99Ms', hp.fanoutP99, yp.fanoutP99, '<= 5'],
  ])) {
    results.push({
      metric,
      value: round2(ours),
      unit: 'ms',
      better: 'lower',
      peer: 'y-websocket',
      peerValue: round2(peer),
      ratio: ratio(peer, ours),
      ...(goal === undefined ? {} : { goal, goalMet: ours <= 5 && atGoalRate }),
      note: pacedNote(
        `push → receipt by each other subscriber (${hp.fanoutSamples} samples; Helios fans out ` +
          `after the durable commit, y-websocket right after applying the update in memory)`,
      ),
    });
  }
  results.push({
    metric: 'relayPeakRssMb',
    value: round(h.rssMb),
    unit: 'MiB',
    better: 'lower',
    peer: 'y-websocket',
    peerValue: round(y.rssMb),
    ratio: ratio(y.rssMb, h.rssMb),
    note:
      `VmHWM of the server process at the end of its run (connection setup, saturation and ` +
      `paced phases); after the saturation phases it was ${round(h.rssAfterSaturationMb)} MiB ` +
      `(y-websocket ${round(y.rssAfterSaturationMb)} MiB)`,
  });
  return results;
}

const round = (/** @type {number} */ x) => Math.round(x);
const round2 = (/** @type {number} */ x) => Math.round(x * 100) / 100;
/** @param {number} a @param {number} b */
const ratio = (a, b) => Math.round((a / b) * 100) / 100;
