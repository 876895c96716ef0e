/**
 * The relay benchmark's load phases, the same for every server under test: saturation (a closed
 * loop) and a fixed rate, with the checks that every acked unit reached every other subscriber.
 */
import { cpuSeconds, ownCpuSeconds, storageWriteBytes, writeSyscalls } from './proc.mjs';
import { describeInternals, pct, relayInternals } from './relay-metrics.mjs';
import { percentile } from './stats.mjs';

/** @typedef {import('./relay-clients.mjs').LoadStats} LoadStats */

const sleep = (/** @type {number} */ ms) => new Promise((r) => setTimeout(r, ms));

/**
 * The sum of `read` over the processes `pids`.
 * @param {readonly number[]} pids
 * @param {(pid: number) => number} read
 */
const sum = (pids, read) => pids.reduce((n, pid) => n + read(pid), 0);

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
export async function connectAll(count, batch, make) {
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
 * update) to their shared document and report acks through `LoadStats`. `pids`: the server's
 * processes (one, or the nodes of a region), whose CPU time and writes are summed. `services`:
 * the CPU seconds so far of the processes the server depends on (its Postgres, its Redis), by
 * name, reported beside its own.
 * @typedef {{
 *   name: string,
 *   pids: readonly number[],
 *   services?: () => Record<string, number>,
 *   stats: LoadStats,
 *   clients: { outstanding: number, lost: boolean, onAck: () => void }[],
 *   push: (client: number, n: number) => void,
 *   others: number,
 *   probe?: () => Promise<Map<string, number>>,
 * }} Target
 */

/**
 * Saturation: every client pushes again as soon as its previous push is acked (one message of
 * `batch` units in flight per client, for every server). Counts units acked and fan-out units
 * received during `seconds`, then drains and checks every acked unit reached every other
 * subscriber of its document.
 * @param {Target} t
 * @param {{ seconds: number, batch: number, drainMs: number }} o
 */
export async function saturate(t, o) {
  const { stats } = t;
  let running = true;
  t.clients.forEach((c, i) => {
    c.onAck = () => {
      if (running && c.outstanding === 0) t.push(i, o.batch);
    };
  });
  stats.reset();
  stats.timing = false;
  const m0 = await t.probe?.();
  const cpu0 = sum(t.pids, cpuSeconds);
  const services0 = t.services?.();
  const writes0 = sum(t.pids, writeSyscalls);
  const stored0 = sum(t.pids, storageWriteBytes);
  const own0 = ownCpuSeconds();
  const started = performance.now();
  for (const c of t.clients) c.onAck();
  await sleep(o.seconds * 1000);
  const endedAt = performance.now();
  const elapsed = (endedAt - started) / 1000;
  const acked = stats.acked;
  const fanout = stats.fanout;
  const serverCpu = (sum(t.pids, cpuSeconds) - cpu0) / elapsed;
  const services1 = t.services?.();
  const writesPerDelta = (sum(t.pids, writeSyscalls) - writes0) / acked;
  const storageBytesPerDelta = (sum(t.pids, storageWriteBytes) - stored0) / acked;
  const ownCpu = (ownCpuSeconds() - own0) / elapsed;
  /** Share of a core each service used during the window. @type {Record<string, number>} */
  const serviceCpu = {};
  if (services0 && services1) {
    for (const [name, s] of Object.entries(services1)) {
      serviceCpu[name] = (s - (services0[name] ?? 0)) / elapsed;
    }
  }
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
    /** When the measured window ended (performance.now), before the drain. */
    endedAt,
    seconds: elapsed,
    perSec: acked / elapsed,
    fanoutPerSec: fanout / elapsed,
    serverCpu,
    serviceCpu,
    writesPerDelta,
    storageBytesPerDelta,
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
 * Fixed rate: `rate` units per second in total, `batch` units per push (default 1), sent
 * round-robin over the clients from a 1 ms timer (a late tick sends what is due, as a burst).
 * Latencies are taken from just before the send to the ack (push→ack) and to each other
 * subscriber's receipt (push→other-client), all in this process's clock.
 * @param {Target} t
 * @param {{ seconds: number, rate: number, drainMs: number, batch?: number }} o
 */
export async function paced(t, o) {
  const { stats } = t;
  const batch = o.batch ?? 1;
  stats.reset();
  stats.timing = true;
  const m0 = await t.probe?.();
  const cpu0 = sum(t.pids, cpuSeconds);
  const own0 = ownCpuSeconds();
  const started = performance.now();
  const end = started + o.seconds * 1000;
  let sent = 0;
  let next = 0;
  let maxBacklog = 0;
  await new Promise((resolve) => {
    const timer = setInterval(() => {
      const now = performance.now();
      const due = Math.floor((Math.min(now, end) - started) * (o.rate / 1000 / batch));
      for (; sent < due; sent++) {
        t.push(next, batch);
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
  const serverCpu = (sum(t.pids, cpuSeconds) - cpu0) / elapsed;
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
    batch,
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
export function sustained(p) {
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
export async function pacedAtSustainableRate(t, rate, saturated, o, log) {
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
export function roundRate(r) {
  const step = r >= 2000 ? 500 : r >= 200 ? 50 : 10;
  return Math.max(step, Math.floor(r / step) * step);
}

/** @param {Awaited<ReturnType<typeof paced>>} p */
export function describePaced(p) {
  return (
    `acked ${Math.round(p.ackedInWindowPerSec)}/s, max backlog ${p.maxBacklog}, ` +
    `ack p50/p99 ${p.ackP50.toFixed(2)}/${p.ackP99.toFixed(2)} ms, ` +
    `fan-out p50/p99 ${p.fanoutP50.toFixed(2)}/${p.fanoutP99.toFixed(2)} ms ` +
    `(${p.fanoutSamples} samples, ${p.unmatched} unmatched, ${p.disconnects} disconnects), ` +
    `server CPU ${pct(p.serverCpu)}, generator CPU ${pct(p.ownCpu)}${describeInternals(p.server)}`
  );
}

/** @param {Awaited<ReturnType<typeof saturate>>} s */
export function describeSaturated(s) {
  return (
    `${Math.round(s.perSec)}/s acked, ${Math.round(s.fanoutPerSec)}/s fanned out, ` +
    `server CPU ${pct(s.serverCpu)} (${s.writesPerDelta.toFixed(2)} write syscalls and ` +
    `${Math.round(s.storageBytesPerDelta)} bytes to storage per delta), ` +
    Object.entries(s.serviceCpu)
      .map(([name, share]) => `${name} CPU ${pct(share)}, `)
      .join('') +
    `generator CPU ${pct(s.ownCpu)}, fan-out ${s.fanoutTotal}/${s.fanoutExpected}${s.drained ? '' : ' (NOT drained)'}, ` +
    `${s.errors} errors, ${s.disconnects} disconnects${describeInternals(s.server)}`
  );
}
