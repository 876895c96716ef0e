/**
 * Cross-region convergence: a write in one region → the moment a client in every other region
 * sees it, per region pair, beside the one-way delay injected on that pair's peer link.
 *
 * Five relays (the real CLI, relays.mjs, latencies of config/regions.json); per region one
 * writer and one observer client (the SDK in Node). Every writer sets its own key of one shared
 * LWW-Map to 1, 2, 3, … on a fixed schedule; each observer timestamps when each value becomes
 * visible. All clients live in this process, so both ends of a sample read the same clock.
 * `--peer-transport quic` runs the peer links over QUIC and writes `convergence-quic.json`.
 */
import { percentile } from '../stats.mjs';
import { oneWayMs, REGIONS, startCluster } from './cluster.mjs';
import {
  allOnline,
  closeAll,
  cpuPressure,
  histogramSummary,
  nodeClient,
  p50p99,
  pressureRow,
  r2,
  relayHistogram,
  relayMetric,
  relayOrder,
  sleep,
  until,
} from './common.mjs';
import { peerTransportFlag, transportVariant } from './peer-transport.mjs';

/** Slack the goal allows above the injected one-way delay (`crossRegionP99OverOneWayMs`). */
const SLACK_MS = 50;

/** @typedef {import('../core.mjs').Result & { pair?: string, oneWayMs?: number }} Result */

/**
 * @param {{ quick: boolean, log: (s: string) => void }} opts
 * @returns {Promise<{ results: Result[], config: { peerTransport: string }, variant?: string }>}
 */
export async function runConvergence({ quick, log }) {
  const peerTransport = peerTransportFlag();
  const variant = transportVariant(peerTransport);
  const writes = quick ? 100 : 500;
  const periodMs = 200;
  const warmup = 10;
  const pressure0 = cpuPressure();
  const cluster = await startCluster({ log: relayErrors(log), peerTransport });
  /** @type {import('@helios/client').HeliosClient[]} */
  const clients = [];
  try {
    const writers = REGIONS.map((r) => nodeClient(relayOrder(r, cluster.url)));
    const observers = REGIONS.map((r) => nodeClient(relayOrder(r, cluster.url)));
    clients.push(...writers, ...observers);
    const wMaps = writers.map((c) => c.lwwMap('conv'));
    const oMaps = observers.map((c) => c.lwwMap('conv'));
    await Promise.all([...wMaps, ...oMaps].map((m) => m.loaded));
    await allOnline(clients);
    log(
      `convergence: 5 relays (peer links over ${peerTransport}), 10 clients online; ${writes} writes per region every ${periodMs} ms`,
    );

    const n = REGIONS.length;
    // sent[w][seq]: when writer w wrote seq; seen[o][w][seq]: when observer o first saw it.
    const sent = REGIONS.map(() => new Float64Array(writes + 1).fill(Number.NaN));
    const seen = REGIONS.map(() =>
      REGIONS.map(() => new Float64Array(writes + 1).fill(Number.NaN)),
    );
    const last = REGIONS.map(() => new Int32Array(n).fill(-1));
    oMaps.forEach((map, o) => {
      map.subscribe(() => {
        const now = performance.now();
        for (let w = 0; w < n; w++) {
          const v = map.get(/** @type {string} */ (REGIONS[w]));
          const lw = /** @type {Int32Array} */ (last[o]);
          if (typeof v === 'number' && v > /** @type {number} */ (lw[w])) {
            // Values arrive in order per writer (each feed is ordered); a value that replaces
            // several unseen ones makes all of them visible at once.
            for (let s = Math.max(0, /** @type {number} */ (lw[w]) + 1); s <= v; s++) {
              /** @type {Float64Array} */ (seen[o]?.[w])[s] = now;
            }
            lw[w] = v;
          }
        }
      });
    });

    // Seq 0 from every writer, seen everywhere: subscriptions and peer links are all live.
    wMaps.forEach((m, w) => {
      m.set(/** @type {string} */ (REGIONS[w]), 0);
    });
    if (!(await until(() => last.every((l) => l.every((v) => v >= 0)), 30_000))) {
      throw new Error('the first round of writes did not reach every region within 30 s');
    }

    const start = performance.now() + 100;
    await Promise.all(
      wMaps.map(async (map, w) => {
        const key = /** @type {string} */ (REGIONS[w]);
        const times = /** @type {Float64Array} */ (sent[w]);
        // Writers are staggered across the period, so the regions' writes interleave.
        const offset = (w * periodMs) / n;
        for (let seq = 1; seq <= writes; seq++) {
          const due = start + offset + seq * periodMs;
          const wait = due - performance.now();
          if (wait > 1) await sleep(wait);
          times[seq] = performance.now();
          map.set(key, seq);
        }
      }),
    );
    const done = await until(() => last.every((l) => l.every((v) => v >= writes)), 60_000);
    if (!done) log('convergence: some writes were not seen everywhere within 60 s');

    /** @type {Result[]} */
    const results = [];
    let worst = { over: Number.NEGATIVE_INFINITY, pair: '' };
    let missing = 0;
    const collect = (
      /** @type {number} */ w,
      /** @type {number} */ o,
      /** @type {number[]} */ into,
    ) => {
      for (let s = warmup + 1; s <= writes; s++) {
        const t = /** @type {number} */ (seen[o]?.[w]?.[s]);
        if (Number.isNaN(t)) missing++;
        else into.push(t - /** @type {number} */ (sent[w]?.[s]));
      }
    };
    for (let a = 0; a < n; a++) {
      for (let b = a + 1; b < n; b++) {
        const ra = /** @type {string} */ (REGIONS[a]);
        const rb = /** @type {string} */ (REGIONS[b]);
        /** @type {number[]} */
        const samples = [];
        collect(a, b, samples);
        collect(b, a, samples);
        const delay = oneWayMs(ra, rb);
        const { p50, p99, n: count } = p50p99(samples);
        const pair = `${ra}↔${rb}`;
        const note = `${count} writes, both directions pooled; injected one-way delay ${delay} ms`;
        results.push({
          metric: 'crossRegionP50Ms',
          value: p50,
          unit: 'ms',
          better: 'lower',
          pair,
          oneWayMs: delay,
          note,
        });
        results.push({
          metric: 'crossRegionP99Ms',
          value: p99,
          unit: 'ms',
          better: 'lower',
          pair,
          oneWayMs: delay,
          goal: `<= ${r2(delay + SLACK_MS)}`,
          goalMet: p99 <= delay + SLACK_MS,
          note,
        });
        if (p99 - delay > worst.over) worst = { over: p99 - delay, pair };
      }
    }
    results.sort((x, y) => (x.oneWayMs ?? 0) - (y.oneWayMs ?? 0));
    results.push({
      metric: 'crossRegionP99OverOneWayMs',
      value: r2(worst.over),
      unit: 'ms',
      better: 'lower',
      goal: `<= ${SLACK_MS}`,
      goalMet: worst.over <= SLACK_MS,
      note: `largest (p99 − injected one-way delay) over the 10 region pairs: ${worst.pair}${
        missing > 0 ? `; ${missing} samples never arrived` : ''
      }`,
    });
    /** @type {number[]} */
    const local = [];
    for (let r = 0; r < n; r++) collect(r, r, local);
    const same = p50p99(local);
    const sameNote = `writer → home relay (durable commit) → another client of the same region; ${same.n} writes over the 5 regions`;
    results.push(
      { metric: 'sameRegionP50Ms', value: same.p50, unit: 'ms', better: 'lower', note: sameNote },
      { metric: 'sameRegionP99Ms', value: same.p99, unit: 'ms', better: 'lower', note: sameNote },
    );
    // What the relays spent: durable group commits (synchronous, on the event loop) and the
    // event-loop delay they and everything else caused.
    const commits = histogramSummary(
      await Promise.all(
        REGIONS.map((r) => relayHistogram(cluster.url(r), 'helios_commit_seconds')),
      ),
      0.99,
    );
    const lag = await Promise.all(
      REGIONS.map((r) => relayMetric(cluster.url(r), 'nodejs_eventloop_lag_p99_seconds')),
    );
    results.push(
      {
        metric: 'relayCommitMeanMs',
        value: r2(commits.mean * 1000),
        unit: 'ms',
        better: 'lower',
        note: `mean durable group commit of the 5 relays during the run (helios_commit_seconds, ${commits.count} commits; 99% took ≤ ${r2(commits.bound * 1000)} ms, the histogram's bucket bound): SQLite WAL, synchronous=FULL, through better-sqlite3, which blocks the relay's event loop meanwhile`,
      },
      {
        metric: 'relayEventLoopLagP99Ms',
        value: r2(Math.max(...lag) * 1000),
        unit: 'ms',
        better: 'lower',
        note: `largest p99 event-loop delay of the 5 relays (nodejs_eventloop_lag_p99_seconds): time a ready message waits before the relay's thread gets to it`,
      },
      pressureRow(pressure0),
    );
    log(
      `convergence: worst p99 over one-way ${r2(worst.over)} ms (${worst.pair}); same region p50 ${same.p50} ms, p99 ${r2(percentile(local, 99))} ms`,
    );
    return { results, config: { peerTransport }, ...(variant === undefined ? {} : { variant }) };
  } finally {
    await closeAll(clients);
    await cluster.stop();
  }
}

/**
 * Relay output worth showing: errors (pino level ≥ 50) and anything that is not JSON.
 * @param {(s: string) => void} log
 */
export function relayErrors(log) {
  return (/** @type {string} */ line) => {
    const m = /"level":(\d+)/.exec(line);
    if (m === null ? !line.includes('listening on') : Number(m[1]) >= 50) log(`relay: ${line}`);
  };
}
