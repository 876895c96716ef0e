/**
 * Flood benchmark: one Helios relay (the real CLI, SQLite store, JWT auth, default limits) in a
 * child process; well-behaved observers and new-client probes in this process; flooding
 * connections in separate load-generator processes (`flood-load.mjs`). Measures what a flood
 * does to everyone else: the observers' write latency, how fast a new client connects, and how
 * soon both are back to normal once the flood ends. See README.md ("Flood") for the method.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jwtFor, Observer } from './flood-clients.mjs';
import { Prober, startLoad } from './flood-harness.mjs';
import { latencies, recoveryMs, refusals } from './flood-measure.mjs';
import {
  cpuSeconds,
  freePort,
  ownCpuSeconds,
  peakRssMb,
  removeOnExit,
  startServer,
  stopChild,
} from './proc.mjs';
import { topSelfTime } from './profile-top.mjs';
import { cpuPressure, describeInternals, probeRelay, relayInternals } from './relay-metrics.mjs';
import { loadAverage } from './results.mjs';
import { median, percentile, round2 } from './stats.mjs';

const _here = dirname(fileURLToPath(import.meta.url));
const RELAY_CLI =
  process.env.HELIOS_RELAY_CLI ??
  join(dirname(fileURLToPath(import.meta.resolve('@helios/server'))), 'cli.js');

/**
 * @typedef {{
 *   observers: number, observerDocs: number, writeEveryMs: number,
 *   flooders: number, loadProcesses: number, entriesPerFrame: number, framePool: number,
 *   warmupS: number, baselineS: number, flood1S: number, floodS: number, recoveryS: number,
 *   probeEveryMs: number, recoveryProbeEveryMs: number, probeTimeoutMs: number,
 *   relayArgs: string[],
 * }} Config
 */

/** @type {Config} */
const FULL = {
  observers: 10,
  observerDocs: 5,
  writeEveryMs: 100,
  flooders: 20,
  loadProcesses: 2,
  entriesPerFrame: 200,
  framePool: 50,
  warmupS: 2,
  // As long as the flood: a host's storage stalls now and then (a slow fsync holds every write
  // of its commit), and a shorter baseline would meet fewer of them than the flood it is
  // compared with.
  baselineS: 10,
  flood1S: 5,
  floodS: 10,
  recoveryS: 5,
  probeEveryMs: 250,
  recoveryProbeEveryMs: 100,
  probeTimeoutMs: 10_000,
  relayArgs: (process.env.HELIOS_FLOOD_RELAY_ARGS ?? '').split(' ').filter(Boolean),
};

/** @type {Config} */
const QUICK = { ...FULL, baselineS: 5, flood1S: 3, floodS: 5, recoveryS: 4 };

/** @typedef {import('./core.mjs').Result} Result */

const sleep = (/** @type {number} */ ms) => new Promise((r) => setTimeout(r, ms));

/**
 * @param {{ quick: boolean, log: (s: string) => void }} opts
 * @returns {Promise<{ results: Result[], config: Config & Record<string, unknown> }>}
 */
export async function runFlood({ quick, log }) {
  const cfg = quick ? QUICK : FULL;
  const watchdog = setTimeout(() => {
    console.error('flood bench: watchdog fired after 5 minutes; killing the servers');
    process.exit(1);
  }, 5 * 60_000);
  watchdog.unref();
  log(
    `flood: ${cfg.flooders} flooding connections in ${cfg.loadProcesses} processes, ` +
      `${cfg.observers} observers, load ${loadAverage()}, CPU pressure ${cpuPressure() ?? '?'}%`,
  );
  const dir = mkdtempSync(join(tmpdir(), 'helios-flood-bench-'));
  removeOnExit(dir);
  const secret = randomBytes(16).toString('hex');
  const port = await freePort();
  // `--profile`: a V8 CPU profile of the relay, summarised at the end.
  const profileDir = process.argv.includes('--profile')
    ? mkdtempSync(join(tmpdir(), 'helios-flood-prof-'))
    : undefined;
  const server = await startServer(
    [
      ...(profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : []),
      RELAY_CLI,
      '--region',
      'us-east-1',
      '--port',
      String(port),
      '--db',
      join(dir, 'relay.sqlite'),
      '--jwt-secret',
      secret,
      '--open-access',
      '--log-level',
      'error',
      ...cfg.relayArgs,
    ],
    /listening on/,
  );
  const url = `http://127.0.0.1:${port}`;
  /** @type {Observer[]} */
  const observers = [];
  /** @type {Awaited<ReturnType<typeof startLoad>>[]} */
  const loads = [];
  /** @type {ReturnType<typeof setInterval>[]} */
  const timers = [];
  const prober = new Prober(url, secret, cfg.probeTimeoutMs);
  try {
    const perProcess = cfg.flooders / cfg.loadProcesses;
    for (let p = 0; p < cfg.loadProcesses; p++) {
      loads.push(
        await startLoad({
          url,
          secret,
          first: p * perProcess,
          count: perProcess,
          entries: cfg.entriesPerFrame,
          pool: cfg.framePool,
        }),
      );
    }
    for (let i = 0; i < cfg.observers; i++) {
      const o = new Observer(url, jwtFor(secret, `observer-${i}`), `obs-${i % cfg.observerDocs}`);
      observers.push(o);
      await o.start();
    }
    log(`connected: ${cfg.flooders} flooders (idle), ${cfg.observers} observers`);
    observers.forEach((o, i) => {
      // Open loop: every observer writes on its own clock, acked or not, so a stalled relay
      // shows in the latencies instead of slowing the writers down.
      setTimeout(
        () => timers.push(setInterval(() => o.write(), cfg.writeEveryMs)),
        (i * cfg.writeEveryMs) / cfg.observers,
      );
    });
    prober.every(cfg.probeEveryMs);
    await sleep(cfg.warmupS * 1000);

    const cpuAt = () => cpuSeconds(server.pid);
    const probe = () => probeRelay(url, server.pid).catch(() => new Map());
    const m0 = await probe();
    const t = { baseline: performance.now(), flood1: 0, flood: 0, stop: 0, drained: 0, end: 0 };
    const cpu = { baseline: cpuAt(), flood1: 0, flood: 0, stop: 0, drained: 0 };
    await sleep(cfg.baselineS * 1000);

    const m1 = await probe();
    t.flood1 = performance.now();
    cpu.flood1 = cpuAt();
    loads[0]?.flood(1);
    log('one connection flooding');
    await sleep(cfg.flood1S * 1000);

    const m2 = await probe();
    t.flood = performance.now();
    cpu.flood = cpuAt();
    const genCpu0 = loads.reduce((n, l) => n + cpuSeconds(/** @type {number} */ (l.child.pid)), 0);
    const ownCpu0 = ownCpuSeconds();
    for (const l of loads) l.flood(perProcess);
    log(`${cfg.flooders} connections flooding`);
    await sleep(cfg.floodS * 1000);

    const genCpu =
      (loads.reduce((n, l) => n + cpuSeconds(/** @type {number} */ (l.child.pid)), 0) - genCpu0) /
      ((performance.now() - t.flood) / 1000);
    const ownCpu = (ownCpuSeconds() - ownCpu0) / ((performance.now() - t.flood) / 1000);
    // The flooders are told to stop: they stop sending and close, gracefully, so what their
    // sockets hold still reaches the relay. The flood is over once the relay has read all of it
    // (every flooder's connection closed); recovery is measured from then.
    const stopped = loads.map((l) => l.stop());
    t.stop = performance.now();
    cpu.stop = cpuAt();
    const m3 = await probe();
    const floodStats = await Promise.all(stopped);
    t.drained = performance.now();
    cpu.drained = cpuAt();
    log(
      `flood stopped; its last frames reached the relay ${Math.round(t.drained - t.stop)} ms later`,
    );
    prober.every(cfg.recoveryProbeEveryMs);
    await sleep(cfg.recoveryS * 1000);
    t.end = performance.now();
    const cpuEnd = cpuAt();
    await prober.stop();
    for (const timer of timers) clearInterval(timer);
    // Writes still unacked are waited for a little, then counted as at least that late.
    const drainEnd = performance.now() + 5_000;
    while (observers.some((o) => o.pending.size > 0) && performance.now() < drainEnd)
      await sleep(20);
    const measuredEnd = performance.now();
    const unacked = observers.reduce((n, o) => n + o.pending.size, 0);
    const metrics = await probe();
    const relayPhases = {
      baseline: relayInternals(m0, m1, (t.flood1 - t.baseline) / 1000),
      oneFlooder: relayInternals(m1, m2, (t.flood - t.flood1) / 1000),
      flooders: relayInternals(m2, m3, (t.stop - t.flood) / 1000),
      after: relayInternals(m3, metrics, (measuredEnd - t.stop) / 1000),
    };
    for (const [phase, r] of Object.entries(relayPhases))
      log(`relay, ${phase}${describeInternals(r)}`);
    const rssMb = peakRssMb(server.pid);

    const writes = observers.flatMap((o) => o.writes);
    const lat = (/** @type {number} */ from, /** @type {number} */ to) =>
      latencies(writes, from, to, measuredEnd);
    const baseline = lat(t.baseline, t.flood1);
    const flood1 = lat(t.flood1, t.flood);
    const flood = lat(t.flood, t.stop);
    const drain = lat(t.stop, t.drained);
    const recovery = lat(t.drained, t.end);
    const baseProbes = prober.between(t.baseline, t.flood1);
    const floodProbes = prober.between(t.flood, t.stop);
    const recoveryProbes = prober.between(t.drained, t.end);
    const baseP99 = percentile(baseline, 99);
    const baseConnect = Math.max(...baseProbes.map((p) => p.ms));
    const recovered = recoveryMs(writes, prober.probes, {
      stop: t.drained,
      end: t.end,
      latencyBound: 2 * baseP99,
      connectBound: 2 * baseConnect,
    });
    const total = { frames: 0, acked: 0, rateLimited: 0, closedByRelay: 0, reconnects: 0 };
    for (const s of floodStats) {
      for (const k of /** @type {(keyof typeof total)[]} */ (Object.keys(total))) {
        total[k] += s.stats[k];
      }
    }
    // Acks of the drain included: count its time too.
    const floodSeconds = (t.drained - t.flood1) / 1000;
    const share = (/** @type {number} */ a, /** @type {number} */ b, /** @type {number} */ s) =>
      Math.round(((b - a) / s) * 100);
    const describe = (/** @type {number[]} */ ms) =>
      `p50 ${round2(median(ms))} ms, p99 ${round2(percentile(ms, 99))} ms, max ${round2(Math.max(...ms))} ms, ${ms.length} writes`;
    const describeProbes = (/** @type {{ ms: number, error?: string }[]} */ ps) =>
      `${ps.length} clients, p50 ${round2(median(ps.map((p) => p.ms)))} ms, max ${round2(Math.max(...ps.map((p) => p.ms)))} ms` +
      `${ps.some((p) => p.error) ? `, ${ps.filter((p) => p.error).length} FAILED (${ps.find((p) => p.error)?.error})` : ''}`;
    log(`baseline: writes ${describe(baseline)}; connects ${describeProbes(baseProbes)}`);
    log(`1 flooder: writes ${describe(flood1)}`);
    log(
      `${cfg.flooders} flooders: writes ${describe(flood)}; connects ${describeProbes(floodProbes)}`,
    );
    log(`while the flood's last frames drained: writes ${drain.length ? describe(drain) : 'none'}`);
    log(
      `after the flood: writes ${describe(recovery)}; connects ${describeProbes(recoveryProbes)}`,
    );
    log(
      `recovery ${recovered ?? 'NOT within the phase'} ms; flooders sent ${total.frames} frames ` +
        `(${total.frames * cfg.entriesPerFrame} deltas), ${total.acked} deltas acked, ` +
        `${total.rateLimited} rate-limited replies, closed by the relay ${total.closedByRelay} times; ` +
        `relay CPU baseline ${share(cpu.baseline, cpu.flood1, (t.flood1 - t.baseline) / 1000)}%, ` +
        `1 flooder ${share(cpu.flood1, cpu.flood, (t.flood - t.flood1) / 1000)}%, ` +
        `${cfg.flooders} flooders ${share(cpu.flood, cpu.stop, (t.stop - t.flood) / 1000)}%, ` +
        `draining ${share(cpu.stop, cpu.drained, (t.drained - t.stop) / 1000)}%, ` +
        `after ${share(cpu.drained, cpuEnd, (t.end - t.drained) / 1000)}%; flood generators ` +
        `${Math.round(genCpu * 100)}%, observers and probes ${Math.round(ownCpu * 100)}%; peak RSS ${Math.round(rssMb)} MiB; ` +
        `${unacked} observer writes never acked`,
    );

    const shape =
      `${cfg.observers} observers (one increment every ${cfg.writeEveryMs} ms each, open loop, ` +
      `${cfg.observers / cfg.observerDocs} per cart); flooders push frames of ` +
      `${cfg.entriesPerFrame} valid increments as fast as their sockets take them and reconnect ` +
      `at once when closed; relay: SQLite, JWT (a user per client), default limits`;
    const bound = 2 * baseP99;
    /** @type {Result[]} */
    const results = [
      {
        metric: 'floodBaselineObserverP99Ms',
        value: round2(baseP99),
        unit: 'ms',
        better: 'lower',
        note: `no flood, ${cfg.baselineS} s: observer push → durable ack, ${describe(baseline)}; ${shape}`,
      },
      {
        metric: 'floodObserverP99Ms',
        value: round2(percentile(flood, 99)),
        unit: 'ms',
        better: 'lower',
        goal: `<= 2x baseline (${round2(bound)} ms)`,
        goalMet: percentile(flood, 99) <= bound,
        note: `${cfg.flooders} connections flooding for ${cfg.floodS} s: ${describe(flood)}`,
      },
      {
        metric: 'flood1ObserverP99Ms',
        value: round2(percentile(flood1, 99)),
        unit: 'ms',
        better: 'lower',
        goal: `<= 2x baseline (${round2(bound)} ms)`,
        goalMet: percentile(flood1, 99) <= bound,
        note: `one connection flooding for ${cfg.flood1S} s: ${describe(flood1)}`,
      },
      {
        metric: 'floodBaselineConnectMs',
        value: round2(baseConnect),
        unit: 'ms',
        better: 'lower',
        note: `no flood: io() → welcome of a new client (new user, new replica id), slowest of ${describeProbes(baseProbes)}`,
      },
      {
        metric: 'floodNewClientConnectMs',
        value: round2(Math.max(...floodProbes.map((p) => p.ms))),
        unit: 'ms',
        better: 'lower',
        goal: '<= 1000',
        goalMet: floodProbes.every((p) => !p.error && p.ms <= 1000),
        note: `slowest new client while ${cfg.flooders} connections flood (one every ${cfg.probeEveryMs} ms): ${describeProbes(floodProbes)}`,
      },
      {
        metric: 'floodRecoveryMs',
        value: recovered ?? cfg.recoveryS * 1000,
        unit: 'ms',
        better: 'lower',
        goal: '<= 2000',
        goalMet: recovered !== undefined && recovered <= 2000,
        note:
          `${recovered === undefined ? 'NOT recovered within the phase; ' : ''}the smallest t after the flood ended (50 ms steps) ` +
          `from which the observer writes sent until the end of the ${cfg.recoveryS} s phase have a p99 <= ` +
          `2x the baseline p99 (${round2(bound)} ms) and every new client (one every ` +
          `${cfg.recoveryProbeEveryMs} ms) is welcomed within 2x the baseline's slowest ` +
          `(${round2(2 * baseConnect)} ms). The flood ends when the relay has read the last frame the flooders sent: ` +
          `told to stop, they close gracefully, and what their sockets held still arrives (${Math.round(t.drained - t.stop)} ms; ` +
          `writes meanwhile ${drain.length ? describe(drain) : 'none'}). After the flood: writes ${describe(recovery)}; connects ${describeProbes(recoveryProbes)}`,
      },
      {
        metric: 'floodDrainMs',
        value: Math.round(t.drained - t.stop),
        unit: 'ms',
        better: 'lower',
        note: `from the flooders being told to stop to the relay having read all they had sent (each flooder holds up to 1 MiB in its WebSocket, 64 frames in its engine, and the TCP buffers); the relay works through it as bulk work`,
      },
      {
        metric: 'floodAcceptedDeltasPerSec',
        value: Math.round(total.acked / floodSeconds),
        unit: 'deltas/s',
        better: 'higher',
        note:
          `flood deltas the relay acked per second over both flood phases and the drain (${total.frames * cfg.entriesPerFrame} pushed); ` +
          `${total.rateLimited} rate-limited replies to the flooders, ${total.closedByRelay} closes by the relay; ` +
          `relay CPU ${share(cpu.flood, cpu.stop, (t.stop - t.flood) / 1000)}% with ${cfg.flooders} flooding, ` +
          `peak RSS ${Math.round(rssMb)} MiB; refused: ${refusals(metrics)}`,
      },
    ];
    if (unacked > 0) log(`WARNING: ${unacked} observer writes were never acked`);
    return {
      results,
      config: { ...cfg, unackedObserverWrites: unacked, flooderStats: total, relayPhases },
    };
  } finally {
    clearTimeout(watchdog);
    for (const timer of timers) clearInterval(timer);
    await prober.stop();
    for (const o of observers) o.close();
    for (const l of loads) await stopChild(l.child);
    await stopChild(server.child);
    rmSync(dir, { recursive: true, force: true });
    const profile = profileDir && readdirSync(profileDir).find((f) => f.endsWith('.cpuprofile'));
    if (profileDir && profile) {
      const top = topSelfTime(join(/** @type {string} */ (profileDir), profile), 25);
      log(`relay CPU profile: ${join(profileDir, profile)} (${top.totalMs} ms sampled)`);
      for (const r of [...top.functions, ...top.inclusive.slice(0, 25)])
        log(
          `  ${(r.share * 100).toFixed(1).padStart(5)}% ${String(r.ms).padStart(6)} ms  ${r.name}`,
        );
    }
  }
}
