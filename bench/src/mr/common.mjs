/** Shared pieces of the multi-region benchmarks: Node clients, waiting, randomness, figures. */
import { readFileSync } from 'node:fs';
import { createClient } from '@helios/client';
import { percentile, round2 } from '../stats.mjs';
import { oneWayMs, REGIONS } from './cluster.mjs';

export const sleep = (/** @type {number} */ ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `done` every `everyMs` until it holds or `timeoutMs` passes.
 * @param {() => boolean} done
 * @returns {Promise<boolean>} whether it held
 */
export async function until(done, timeoutMs, everyMs = 20) {
  const deadline = performance.now() + timeoutMs;
  while (!done()) {
    if (performance.now() > deadline) return false;
    await sleep(everyMs);
  }
  return true;
}

/**
 * Relay URLs for a client of `home`: home first, then the other regions nearest first (the
 * failover order an app would configure).
 * @param {string} home
 * @param {(region: string) => string} urlOf
 */
export function relayOrder(home, urlOf) {
  const others = REGIONS.filter((r) => r !== home).sort(
    (a, b) => oneWayMs(home, a) - oneWayMs(home, b),
  );
  return [urlOf(home), ...others.map(urlOf)];
}

let clientCount = 0;

/**
 * A load client: the real SDK in Node, in-memory persistence, its own database (its own
 * replica), no tab channel.
 * @param {readonly string[]} relays
 * @param {Partial<import('@helios/client').ClientOptions>} [extra]
 */
export function nodeClient(relays, extra = {}) {
  return createClient({
    relays,
    dbName: `bench-${process.pid}-${clientCount++}`,
    persistence: 'memory',
    tabSync: false,
    ...extra,
  });
}

/**
 * Resolves once every client is connected (its status says online).
 * @param {import('@helios/client').HeliosClient[]} clients
 */
export async function allOnline(clients, timeoutMs = 20_000) {
  await Promise.all(clients.map((c) => c.ready));
  const ok = await until(() => clients.every((c) => c.status.connection === 'online'), timeoutMs);
  if (!ok) {
    const off = clients.filter((c) => c.status.connection !== 'online').length;
    throw new Error(`${off} of ${clients.length} clients did not connect within ${timeoutMs} ms`);
  }
}

/** Closes clients, never throwing. */
export async function closeAll(/** @type {{ close(): Promise<void> }[]} */ clients) {
  await Promise.all(clients.map((c) => c.close().catch(() => {})));
}

/**
 * Zipf-distributed ranks 0..n-1 (rank 0 most popular): P(k) ∝ 1 / (k+1)^s.
 * @param {number} n
 * @param {number} s
 * @param {() => number} random
 */
export function zipf(n, s, random) {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let k = 0; k < n; k++) {
    sum += 1 / (k + 1) ** s;
    cdf[k] = sum;
  }
  for (let k = 0; k < n; k++) cdf[k] /= sum;
  return () => {
    const u = random();
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (/** @type {number} */ (cdf[mid]) < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

/** Exponentially distributed gap (a Poisson process of `meanMs` mean gap). */
export function expGap(/** @type {number} */ meanMs, /** @type {() => number} */ random) {
  return -Math.log(1 - random()) * meanMs;
}

/** Rounds to 2 decimals (figures in the results files). */
export { round2 as r2 };

/**
 * p50 and p99 of samples, rounded.
 * @param {ArrayLike<number>} xs
 */
export function p50p99(xs) {
  return { p50: round2(percentile(xs, 50)), p99: round2(percentile(xs, 99)), n: xs.length };
}

/**
 * Sums a relay's Prometheus series of one name (over all label sets, or those matching `labels`).
 * @param {string} relayUrl
 * @param {string} name
 * @param {Record<string, string>} [labels]
 */
export async function relayMetric(relayUrl, name, labels = {}) {
  const text = await (await fetch(new URL('/metrics', relayUrl))).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/**
 * The host's CPU pressure (/proc/pressure/cpu, "some" avg60): the share of time in which some
 * runnable task waited for a core. Other processes' load shows here; the figures of a run
 * taken under high pressure include that waiting.
 * @returns {number | undefined} percent
 */
export function cpuPressure() {
  try {
    const text = readFileSync('/proc/pressure/cpu', 'utf8');
    const m = /some avg10=[\d.]+ avg60=([\d.]+)/.exec(text);
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A result row recording the host's CPU pressure and load during a suite (context, no goal).
 * @param {number | undefined} before
 */
export function pressureRow(before) {
  const after = cpuPressure();
  return {
    metric: 'hostCpuPressurePct',
    value: after ?? -1,
    unit: '%',
    better: 'lower',
    note: `/proc/pressure/cpu "some" avg60 at the end of the suite (${before ?? '?'}% at its start): share of time a runnable task of this machine waited for a core. Other processes on the machine count; above ~20% every latency here includes queueing for the CPU.`,
  };
}

/**
 * A Prometheus histogram of one relay: cumulative counts per upper bound (`le`), and the sum.
 * @param {string} relayUrl
 * @param {string} name e.g. `helios_commit_seconds`
 */
export async function relayHistogram(relayUrl, name) {
  const text = await (await fetch(new URL('/metrics', relayUrl))).text();
  /** @type {Map<number, number>} */
  const buckets = new Map();
  let sum = 0;
  let count = 0;
  for (const line of text.split('\n')) {
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (line.startsWith(`${name}_bucket{`)) {
      const le = /le="([^"]+)"/.exec(line)?.[1];
      if (le !== undefined)
        buckets.set(le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le), value);
    } else if (line.startsWith(`${name}_sum`)) sum = value;
    else if (line.startsWith(`${name}_count`)) count = value;
  }
  return { buckets, sum, count };
}

/**
 * Merges the histograms of several relays and returns the mean and the bucket bound under
 * which a quantile falls (an upper bound on the quantile, as Prometheus' buckets allow).
 * @param {Awaited<ReturnType<typeof relayHistogram>>[]} hs
 * @param {number} q in (0, 1]
 */
export function histogramSummary(hs, q) {
  /** @type {Map<number, number>} */
  const merged = new Map();
  let sum = 0;
  let count = 0;
  for (const h of hs) {
    sum += h.sum;
    count += h.count;
    for (const [le, n] of h.buckets) merged.set(le, (merged.get(le) ?? 0) + n);
  }
  const bounds = [...merged.keys()].sort((a, b) => a - b);
  const bound = bounds.find((le) => (merged.get(le) ?? 0) >= q * count) ?? Number.POSITIVE_INFINITY;
  return { mean: count > 0 ? sum / count : 0, bound, count };
}
