/**
 * What a relay's own /metrics say during a benchmark phase, and the machine's CPU pressure: the
 * relay and flood benchmarks report both beside their figures.
 */
import { readFileSync } from 'node:fs';
import { storageWriteBytes } from './proc.mjs';

/** A share as a whole percentage. */
export const pct = (/** @type {number} */ x) => `${Math.round(x * 100)}%`;

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
        .replace(/region="[^"]*",?/, '')
        .replace(',}', '}')
        .replace('{}', ''),
      Number(line.slice(at + 1)),
    );
  }
  return out;
}

/** The key under which {@link probeRelay} adds the relay process's storage writes. */
const STORAGE_WRITE_BYTES = 'process_storage_write_bytes';

/**
 * The relay's metrics ({@link scrape}) and, beside them, what its process has written to
 * storage so far (/proc: the relay's own metrics do not see its SQLite file's writes).
 * @param {string} url
 * @param {number} pid the relay's process
 */
export async function probeRelay(url, pid) {
  const metrics = await scrape(url);
  metrics.set(STORAGE_WRITE_BYTES, storageWriteBytes(pid));
  return metrics;
}

/**
 * What the relay's own metrics say about a phase: group commits (count, mean size, share of
 * the window spent committing), its event-loop delay (prom-client's histogram, reset by each
 * scrape) and its GC pauses.
 * @param {Map<string, number>} a at the start of the window
 * @param {Map<string, number>} b at its end
 * @param {number} seconds
 */
export function relayInternals(a, b, seconds) {
  const d = (/** @type {string} */ k) => (b.get(k) ?? 0) - (a.get(k) ?? 0);
  const commits = d('helios_commit_seconds_count');
  const gc = gcPauses(a, b);
  return {
    commitsPerSec: commits / seconds,
    meanBatch: commits > 0 ? d('helios_commit_batch_size_sum') / commits : 0,
    meanCommitMs: commits > 0 ? (d('helios_commit_seconds_sum') / commits) * 1000 : 0,
    commitShare: d('helios_commit_seconds_sum') / seconds,
    // Commits over 50 ms: the storage stalled (a slow fsync; a host's disk has them now and
    // then, more often the more is written), and every write in that commit waited for it.
    slowCommits: commits - d('helios_commit_seconds_bucket{le="0.05"}'),
    storageMBps: d(STORAGE_WRITE_BYTES) / seconds / 1e6,
    mergeShare: d('helios_merge_seconds_sum') / seconds,
    loopDelayP50Ms: (b.get('nodejs_eventloop_lag_p50_seconds') ?? Number.NaN) * 1000,
    loopDelayP99Ms: (b.get('nodejs_eventloop_lag_p99_seconds') ?? Number.NaN) * 1000,
    loopDelayMaxMs: (b.get('nodejs_eventloop_lag_max_seconds') ?? Number.NaN) * 1000,
    ...gc,
  };
}

/** prom-client's histogram of the relay's GC pauses, one series per kind of collection. */
const GC_SERIES = /^nodejs_gc_duration_seconds_(count|sum|bucket)\{(?:le="([^"]+)",)?kind="[^"]+"/;

/**
 * The relay's GC pauses between two scrapes: how many, their total, and how many took over
 * 10 ms (the histogram's bucket bounds are prom-client's, 1 ms and 10 ms the lowest): a pause
 * stalls every request in flight, so those set a floor under a latency's tail.
 * @param {Map<string, number>} a
 * @param {Map<string, number>} b
 */
function gcPauses(a, b) {
  let count = 0;
  let seconds = 0;
  let within10Ms = 0;
  for (const [key, value] of b) {
    const m = GC_SERIES.exec(key);
    if (m === null) continue;
    const delta = value - (a.get(key) ?? 0);
    if (m[1] === 'count') count += delta;
    else if (m[1] === 'sum') seconds += delta;
    else if (m[2] === '0.01') within10Ms += delta;
  }
  return { gcPauses: count, gcPauseMs: seconds * 1000, gcPausesOver10Ms: count - within10Ms };
}

/** @param {ReturnType<typeof relayInternals> | undefined} r */
export function describeInternals(r) {
  if (r === undefined) return '';
  return (
    `; relay: ${Math.round(r.commitsPerSec)} commits/s of ${Math.round(r.meanBatch)} deltas ` +
    `(${r.meanCommitMs.toFixed(1)} ms each, ${pct(r.commitShare)} of the time, ` +
    `${r.slowCommits} over 50 ms), storage writes ${r.storageMBps.toFixed(1)} MB/s, ` +
    `event-loop delay p50/p99/max ${r.loopDelayP50Ms.toFixed(0)}/${r.loopDelayP99Ms.toFixed(0)}/` +
    `${r.loopDelayMaxMs.toFixed(0)} ms, GC ${r.gcPauses} pauses (${r.gcPauseMs.toFixed(0)} ms, ` +
    `${r.gcPausesOver10Ms} over 10 ms)`
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
