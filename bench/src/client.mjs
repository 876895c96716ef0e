/**
 * Client SDK latencies in Node: `npm run bench -- client [--quick]` (build @helios/client
 * first: `cd packages/client && npx tsc -b`). IndexedDB is fake-indexeddb (in-memory, in
 * process) and tabs are two clients of one database in one process, talking over Node's
 * BroadcastChannel: these figures show the SDK's own overhead, not a browser's storage; the
 * Chromium figures come from the e2e suite.
 */
import 'fake-indexeddb/auto';
import { createClient } from '@helios/client';
import { AWSet } from '@helios/core';
import { median, percentile } from './stats.mjs';
import { collectGarbage } from './timing.mjs';

/** Where the clients would connect: never dialled, they stay offline. */
const NO_RELAY = ['http://127.0.0.1:9'];
const NODE = 'Node + fake-indexeddb (in-process, in-memory)';

/**
 * Four significant digits: more than any of these measurements can claim.
 * @param {number} x
 */
function sig(x) {
  return Number(x.toPrecision(4));
}

let dbCounter = 0;
const freshDb = () => `bench-client-${process.pid}-${++dbCounter}`;

/**
 * @param {string} dbName
 * @param {Partial<import('@helios/client').ClientOptions>} [extra]
 */
function offlineClient(dbName, extra = {}) {
  return createClient({ relays: NO_RELAY, dbName, offline: true, ...extra });
}

/**
 * One write at a time on a counter, with a second tab watching: for each, the time until the
 * value shows it (synchronous), until it is committed to IndexedDB (receipt 'local'), and until
 * the other tab's value shows it.
 * @param {number} samples
 * @param {(s: string) => void} log
 */
async function writePath(samples, log) {
  const dbName = freshDb();
  const tab = offlineClient(dbName);
  const other = offlineClient(dbName);
  const likes = tab.counter('likes');
  const seen = other.counter('likes');
  await Promise.all([likes.loaded, seen.loaded]);
  /** @type {(() => void) | undefined} */
  let arrived;
  seen.subscribe(() => arrived?.());
  const visibleUs = new Float64Array(samples);
  const localMs = new Float64Array(samples);
  const crossTabMs = new Float64Array(samples);
  const warmup = Math.min(200, samples);
  for (let i = -warmup; i < samples; i++) {
    const expected = likes.value + 1;
    const crossed = new Promise((resolve) => {
      arrived = () => {
        if (seen.value === expected) resolve(performance.now());
      };
    });
    const t0 = performance.now();
    const receipt = likes.increment();
    if (likes.value !== expected) throw new Error('the write is not visible at once');
    const t1 = performance.now();
    await receipt.wait('local');
    const t2 = performance.now();
    const t3 = /** @type {number} */ (await crossed);
    if (i < 0) continue;
    visibleUs[i] = (t1 - t0) * 1000;
    localMs[i] = t2 - t0;
    crossTabMs[i] = t3 - t0;
  }
  await Promise.all([tab.close(), other.close()]);
  log(
    `write path: ${samples} writes, local p50 ${median(localMs).toFixed(3)} ms, cross-tab p50 ${median(crossTabMs).toFixed(3)} ms`,
  );
  return { visibleUs, localMs, crossTabMs };
}

/**
 * A 100k-element Add-Wins Set written through the client (in chunks, with compaction on, as a
 * long-lived document ends up: a snapshot plus recent deltas), then opened cold: createClient →
 * handle.loaded → the value read.
 * @param {number} elements
 * @param {number} runs
 * @param {(s: string) => void} log
 */
async function coldLoad(elements, runs, log) {
  const dbName = freshDb();
  const writer = offlineClient(dbName, { compactEvery: 20 });
  const set = writer.awSet('big');
  await set.loaded;
  const chunk = 1000;
  for (let from = 0; from < elements; from += chunk) {
    const receipt = set.mutate((state, actor) => {
      const delta = AWSet.empty();
      const next = AWSet.clone(state);
      for (let k = from; k < Math.min(elements, from + chunk); k++) {
        const add = AWSet.add(next, actor, `item-${k}`);
        AWSet.merge(next, add);
        AWSet.merge(delta, add);
      }
      return delta;
    });
    await receipt.wait('local');
  }
  if (set.value.size !== elements) throw new Error(`wrote ${set.value.size} elements`);
  // Let the last compaction finish before closing (it runs after the commit that triggers it).
  await new Promise((r) => setTimeout(r, 500));
  await writer.close();

  const times = [];
  for (let run = 0; run < runs; run++) {
    collectGarbage();
    const t0 = performance.now();
    const client = offlineClient(dbName);
    const handle = client.awSet('big');
    await handle.loaded;
    const size = handle.value.size;
    times.push(performance.now() - t0);
    if (size !== elements) throw new Error(`cold load saw ${size} elements`);
    await client.close();
  }
  log(`cold load of ${elements} elements: ${times.map((t) => t.toFixed(0)).join(', ')} ms`);
  return times;
}

/**
 * @param {{ quick: boolean, log: (s: string) => void, only?: string[] }} opts
 * @returns {Promise<import('./core.mjs').Result[]>}
 */
export async function runClient({ quick, log }) {
  const samples = quick ? 1000 : 5000;
  const coldRuns = quick ? 2 : 5;
  const { visibleUs, localMs, crossTabMs } = await writePath(samples, log);
  collectGarbage();
  const cold = await coldLoad(100_000, coldRuns, log);
  const perWrite = `${samples} counter increments, one at a time; ${NODE}`;
  /** @type {import('./core.mjs').Result[]} */
  return [
    {
      metric: 'writeVisibleP50Us',
      value: sig(median(visibleUs)),
      unit: 'µs',
      better: 'lower',
      note: `increment() → handle.value shows it (synchronous merge); ${perWrite}`,
    },
    {
      metric: 'writeVisibleP99Us',
      value: sig(percentile(visibleUs, 99)),
      unit: 'µs',
      better: 'lower',
      note: `increment() → handle.value shows it; ${perWrite}`,
    },
    {
      metric: 'localCommitP50Ms',
      value: sig(median(localMs)),
      unit: 'ms',
      better: 'lower',
      note: `increment() → receipt 'local' (log + outbox transaction committed); ${perWrite}`,
    },
    {
      metric: 'localCommitP99Ms',
      value: sig(percentile(localMs, 99)),
      unit: 'ms',
      better: 'lower',
      note: `increment() → receipt 'local'; ${perWrite}`,
    },
    {
      metric: 'crossTabP50Ms',
      value: sig(median(crossTabMs)),
      unit: 'ms',
      better: 'lower',
      note: `increment() in one client → value of a second client on the same database (commit, then BroadcastChannel); ${perWrite}`,
    },
    {
      metric: 'crossTabP99Ms',
      value: sig(percentile(crossTabMs, 99)),
      unit: 'ms',
      better: 'lower',
      note: `increment() in one client → value of a second client on the same database; ${perWrite}`,
    },
    {
      metric: 'coldLoad100kMs',
      value: sig(median(cold)),
      unit: 'ms',
      better: 'lower',
      note: `createClient → awSet handle loaded → value read, 100k-element AWSet stored as a snapshot plus recent deltas; median of ${coldRuns} (min ${sig(Math.min(...cold))}); ${NODE}`,
    },
  ];
}
