/**
 * Core benchmark: Helios' CRDTs against Yjs and Automerge, in one process, on the operations an
 * offline-first client performs: local writes, merging concurrent writes, the size of what goes
 * on the wire, set operations on a large set, and the codec against msgpackr.
 *
 * Every Helios figure is taken from the built package (`@helios/core` → packages/core/dist).
 * Each peer is given its fastest documented path for the same job, so the ratios are not
 * flattered (see README.md for what each metric does and does not include).
 */
import { spawnSync } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import * as A from '@automerge/automerge';
import {
  AWSet,
  compareTimestamps,
  HybridLogicalClock,
  LWWMap,
  newReplicaId,
  orMap,
  PNCounter,
} from '@helios/core';
import { createRng } from '@helios/test-kit';
import { pack, unpack } from 'msgpackr';
import * as Y from 'yjs';
import { toPlain } from './plain.mjs';
import { median, percentile } from './stats.mjs';
import { collectGarbage, medianTimes, opsPerSec, useCpuClock } from './timing.mjs';

/**
 * One line of results. `ratio` is always oriented so that above 1 means Helios is better:
 * ours/peer when higher is better (throughput), peer/ours when lower is better (time, bytes).
 * @typedef {{
 *   metric: string,
 *   value: number,
 *   unit: string,
 *   better: 'higher' | 'lower',
 *   peer?: string,
 *   peerValue?: number,
 *   ratio?: number,
 *   goal?: string,
 *   goalMet?: boolean,
 *   clock?: 'cpu',
 *   note?: string,
 * }} Result
 */

/**
 * @typedef {{
 *   lwwOps: number, lwwKeys: number, automergeOps: number, runs: number,
 *   b31Replicas: number, b31Runs: number,
 *   awSize: number, awSamples: number, awRounds: number,
 *   codecTargetMs: number, codecRuns: number, codecWarmupMs: number,
 * }} Config
 */

/** @type {Config} */
const FULL = {
  lwwOps: 100_000,
  lwwKeys: 1000,
  automergeOps: 2000,
  runs: 5,
  b31Replicas: 1540,
  b31Runs: 5,
  awSize: 100_000,
  awSamples: 10_000,
  awRounds: 3,
  codecTargetMs: 150,
  codecRuns: 5,
  codecWarmupMs: 400,
};

/** Same shapes (1540 replicas, 100k-element set), fewer repetitions. */
/** @type {Config} */
const QUICK = {
  lwwOps: 20_000,
  lwwKeys: 1000,
  automergeOps: 300,
  runs: 3,
  b31Replicas: 1540,
  b31Runs: 2,
  awSize: 100_000,
  awSamples: 3000,
  awRounds: 2,
  codecTargetMs: 40,
  codecRuns: 3,
  codecWarmupMs: 150,
};

/**
 * @param {Omit<Result, 'peer' | 'peerValue' | 'ratio'>} ours
 * @param {string} peer
 * @param {number} peerValue
 * @returns {Result}
 */
function versus(ours, peer, peerValue) {
  const ratio = ours.better === 'higher' ? ours.value / peerValue : peerValue / ours.value;
  const { note, ...rest } = ours;
  return { ...rest, peer, peerValue, ratio, ...(note === undefined ? {} : { note }) };
}

/**
 * Four significant digits: more than any of these measurements can claim.
 * @param {number} x
 */
function sig(x) {
  return Number(x.toPrecision(4));
}

/**
 * The result as written out: figures rounded, the note last.
 * @param {Result} r
 * @returns {Result}
 */
function rounded(r) {
  const { note, goal, goalMet, ...rest } = r;
  return {
    ...rest,
    value: sig(r.value),
    ...(r.peerValue === undefined ? {} : { peerValue: sig(r.peerValue) }),
    ...(r.ratio === undefined ? {} : { ratio: sig(r.ratio) }),
    ...(goal === undefined ? {} : { goal, goalMet }),
    ...(note === undefined ? {} : { note }),
  };
}

/**
 * @param {Result} r
 * @param {string} goal
 * @param {boolean} met
 * @returns {Result}
 */
function withGoal(r, goal, met) {
  return { ...r, goal, goalMet: met };
}

/** @param {boolean} ok @param {string} what */
function check(ok, what) {
  if (!ok) throw new Error(`sanity check failed: ${what}`);
}

/** Busy-waits for the next millisecond: a user's next write lands in a later ms than a burst. */
function nextMillisecond() {
  const t = Date.now();
  while (Date.now() === t) {
    // spin
  }
}

const TEN_BYTES = 'abcdefghij';

// ---------------------------------------------------------------------------------------------
// lwwMapSetOpsPerSec

/** @param {Config} cfg @param {(s: string) => void} log @returns {Result[]} */
function lwwMapSet(cfg, log) {
  const keys = Array.from({ length: cfg.lwwKeys }, (_, i) => `key${String(i).padStart(4, '0')}`);
  // Values change from one round over the keys to the next, so no library sees a no-op write.
  const values = Array.from({ length: 97 }, (_, i) => `value-${String(i).padStart(4, '0')}`);
  const valueAt = (/** @type {number} */ i) => values[Math.floor(i / keys.length) % values.length];

  /** @param {number} n */
  const helios = (n) => {
    const clock = new HybridLogicalClock({ replica: newReplicaId() });
    const s = LWWMap.empty();
    for (let i = 0; i < n; i++) {
      LWWMap.merge(s, LWWMap.set(s, clock, keys[i % keys.length], valueAt(i)));
    }
    return s;
  };
  /** @param {number} n */
  const yjs = (n) => {
    const doc = new Y.Doc();
    const map = doc.getMap('m');
    // Outside a transact() call every set is its own transaction, as in an app.
    for (let i = 0; i < n; i++) map.set(keys[i % keys.length], valueAt(i));
    return map;
  };
  // Automerge gets its keys created up front (untimed), so its few timed ops are overwrites,
  // like almost all of the 100k ops of the others.
  const automergeSetup = () =>
    A.change(A.init(), (d) => {
      for (const k of keys) d[k] = valueAt(0);
    });
  /** @param {A.Doc<Record<string, string>>} doc @param {number} n */
  const automerge = (doc, n) => {
    let d = doc;
    for (let i = 0; i < n; i++) {
      const k = keys[i % keys.length];
      const v = valueAt(i + keys.length);
      d = A.change(d, (x) => {
        x[k] = v;
      });
    }
    return d;
  };

  const n = cfg.lwwOps;
  const last = n - 1;
  const hs = helios(n);
  check(
    LWWMap.value(hs).size === keys.length &&
      LWWMap.get(hs, keys[last % keys.length]) === valueAt(last),
    'helios LWWMap holds the last write of every key',
  );
  check(yjs(n).get(keys[last % keys.length]) === valueAt(last), 'yjs holds the last write');

  const am = cfg.automergeOps;
  const ms = medianTimes(
    {
      helios: { setup: () => n, run: helios },
      yjs: { setup: () => n, run: yjs },
      automerge: { setup: automergeSetup, run: (doc) => automerge(doc, am) },
    },
    { runs: cfg.runs },
  );
  const heliosMs = ms.helios;
  const yjsMs = ms.yjs;
  const amMs = ms.automerge;
  const ours = (n * 1000) / heliosMs;
  const yjsRate = (n * 1000) / yjsMs;
  const amRate = (am * 1000) / amMs;
  log(
    `lwwMapSet: helios ${ours.toFixed(0)}/s, yjs ${yjsRate.toFixed(0)}/s, automerge ${amRate.toFixed(0)}/s`,
  );
  const base = /** @type {const} */ ({
    metric: 'lwwMapSetOpsPerSec',
    value: ours,
    unit: 'ops/s',
    better: 'higher',
  });
  const vsY = versus({ ...base, note: `${n} sets over ${keys.length} keys` }, 'yjs', yjsRate);
  const vsA = versus(
    { ...base, note: `automerge: ${am} A.change() calls on a doc with ${keys.length} keys` },
    'automerge',
    amRate,
  );
  return [
    withGoal(vsY, '>= 3x', /** @type {number} */ (vsY.ratio) >= 3),
    withGoal(vsA, '>= 30x', /** @type {number} */ (vsA.ratio) >= 30),
  ];
}

// ---------------------------------------------------------------------------------------------
// b31MergeMs: crdt-benchmarks B3.1, N replicas concurrently set the same key, then one merges all.

/** @param {Config} cfg @param {(s: string) => void} log @returns {Result[]} */
function b31(cfg, log) {
  const n = cfg.b31Replicas;

  // Helios: each replica its own empty LWW-Map and clock; what travels is the encoded delta.
  /** @type {Uint8Array[]} */
  const heliosDeltas = [];
  for (let i = 0; i < n; i++) {
    const clock = new HybridLogicalClock({ replica: newReplicaId() });
    heliosDeltas.push(LWWMap.encode(LWWMap.set(LWWMap.empty(), clock, 'v', i)));
  }
  const decoded = heliosDeltas.map((b) => LWWMap.decode(b));
  // The expected winner, found without LWWMap: the greatest (wall, counter, replica).
  let best;
  for (const d of decoded) {
    const [e] = /** @type {any[]} */ (d.store.entries.get('v'));
    const ts = { wall: e.value.wall, counter: e.value.counter, replica: e.replica };
    if (best === undefined || compareTimestamps(ts, best.ts) > 0)
      best = { ts, value: e.value.value };
  }
  const mergeBytes = (/** @type {Uint8Array[]} */ deltas) => {
    const target = LWWMap.empty();
    for (const b of deltas) LWWMap.merge(target, LWWMap.decode(b));
    return target;
  };
  const merged = mergeBytes(heliosDeltas);
  const reversed = mergeBytes([...heliosDeltas].reverse());
  check(LWWMap.get(merged, 'v') === best?.value, 'helios B3.1 picks the greatest timestamp');
  check(LWWMap.equals(merged, reversed), 'helios B3.1 converges whatever the merge order');

  // Yjs: a Y.Doc per replica, each with its own client id.
  /** @type {Uint8Array[]} */
  const updates = [];
  const clients = new Set();
  for (let i = 0; i < n; i++) {
    const doc = new Y.Doc();
    clients.add(doc.clientID);
    doc.getMap('m').set('v', i);
    updates.push(Y.encodeStateAsUpdate(doc));
  }
  check(clients.size === n, 'yjs client ids are distinct');
  const yjsOneByOne = (/** @type {Uint8Array[]} */ us) => {
    const doc = new Y.Doc();
    for (const u of us) Y.applyUpdate(doc, u);
    return doc;
  };
  const yjsMerged = (/** @type {Uint8Array[]} */ us) => {
    const doc = new Y.Doc();
    Y.applyUpdate(doc, Y.mergeUpdates(us));
    return doc;
  };
  const yv = yjsOneByOne(updates).getMap('m').get('v');
  check(typeof yv === 'number' && yjsMerged(updates).getMap('m').get('v') === yv, 'yjs B3.1 value');

  // Automerge: a document per replica; the receiver applies all the changes in one call.
  /** @type {Uint8Array[]} */
  const changes = [];
  for (let i = 0; i < n; i++) {
    const doc = A.change(A.init(), (d) => {
      d.v = i;
    });
    changes.push(/** @type {Uint8Array} */ (A.getLastLocalChange(doc)));
  }
  const amApply = (/** @type {Uint8Array[]} */ cs) => A.applyChanges(A.init(), cs)[0];
  const amDoc = amApply(changes);
  check(typeof amDoc.v === 'number', 'automerge B3.1 value');
  check(Object.keys(A.getConflicts(amDoc, 'v') ?? {}).length === n, 'automerge sees every write');

  const ms = medianTimes(
    {
      helios: { setup: () => heliosDeltas, run: mergeBytes },
      heliosInMemory: {
        setup: () => heliosDeltas.map((b) => LWWMap.decode(b)),
        run: (states) => {
          const target = LWWMap.empty();
          for (const s of states) LWWMap.merge(target, s);
        },
      },
      yjsOneByOne: { setup: () => updates, run: yjsOneByOne },
      yjsMerged: { setup: () => updates, run: yjsMerged },
      automerge: { setup: () => changes, run: amApply },
    },
    { runs: cfg.b31Runs },
  );
  const { helios: heliosMs, heliosInMemory: heliosMemMs, automerge: amMs } = ms;
  const yjsA = ms.yjsOneByOne;
  const yjsB = ms.yjsMerged;

  const yjsMs = Math.min(yjsA, yjsB);
  const yjsHow = yjsA <= yjsB ? 'Y.applyUpdate per update' : 'Y.mergeUpdates then one applyUpdate';
  log(
    `B3.1: helios ${heliosMs.toFixed(2)} ms (in memory ${heliosMemMs.toFixed(2)}), yjs ${yjsA.toFixed(2)} / merged ${yjsB.toFixed(2)} ms, automerge ${amMs.toFixed(2)} ms`,
  );
  const base = /** @type {const} */ ({
    metric: 'b31MergeMs',
    value: heliosMs,
    unit: 'ms',
    better: 'lower',
  });
  const fasterPeer = yjsMs <= amMs ? 'yjs' : 'automerge';
  const goalMet = heliosMs <= Math.min(yjsMs, amMs) / 5;
  const rows = [
    versus({ ...base, note: `${n} encoded deltas, decode + merge; yjs: ${yjsHow}` }, 'yjs', yjsMs),
    versus(
      { ...base, note: `${n} encoded deltas; automerge: one A.applyChanges` },
      'automerge',
      amMs,
    ),
  ].map((r) => (r.peer === fasterPeer ? withGoal(r, '<= 1/5 of faster peer', goalMet) : r));
  rows.push({
    metric: 'b31MergeInMemoryMs',
    value: heliosMemMs,
    unit: 'ms',
    better: 'lower',
    note: 'merge only, deltas decoded beforehand',
  });
  return rows;
}

// ---------------------------------------------------------------------------------------------
// Delta sizes at steady state

/** @param {(s: string) => void} log @returns {{ rows: Result[], pnDelta: any, lwwDelta: any }} */
function deltaBytes(log) {
  const prior = 1000;

  // PN-Counter increment after `prior` increments.
  const actor = { replica: newReplicaId() };
  const counter = PNCounter.empty();
  for (let i = 0; i < prior; i++) PNCounter.merge(counter, PNCounter.increment(counter, actor));
  const pnDelta = PNCounter.increment(counter, actor);
  const pnBytes = PNCounter.encode(pnDelta).length;
  let amCounter = A.from({ c: new A.Counter(0) });
  for (let i = 0; i <= prior; i++) {
    amCounter = A.change(amCounter, (d) => {
      d.c.increment(1);
    });
  }
  check(amCounter.c.value === prior + 1, 'automerge counter');
  const amCounterBytes = /** @type {Uint8Array} */ (A.getLastLocalChange(amCounter)).length;

  // LWW-Map set of a 10-byte string to an existing key after `prior` sets over 100 keys.
  const keys = Array.from({ length: 100 }, (_, i) => `key${String(i).padStart(4, '0')}`);
  const key = keys[42];
  const clock = new HybridLogicalClock({ replica: newReplicaId() });
  const map = LWWMap.empty();
  for (let i = 0; i < prior; i++)
    LWWMap.merge(map, LWWMap.set(map, clock, keys[i % 100], TEN_BYTES));
  nextMillisecond();
  const lwwDelta = LWWMap.set(map, clock, key, TEN_BYTES);
  const lwwBytes = LWWMap.encode(lwwDelta).length;

  const doc = new Y.Doc();
  const ymap = doc.getMap('m');
  for (let i = 0; i < prior; i++) ymap.set(keys[i % 100], TEN_BYTES);
  /** @type {Uint8Array | undefined} */
  let v1;
  /** @type {Uint8Array | undefined} */
  let v2;
  doc.on('update', (/** @type {Uint8Array} */ u) => {
    v1 = u;
  });
  doc.on('updateV2', (/** @type {Uint8Array} */ u) => {
    v2 = u;
  });
  ymap.set(key, TEN_BYTES);
  check(v1 !== undefined && v2 !== undefined, 'yjs emitted its update');
  const yBytes = /** @type {Uint8Array} */ (v1).length;
  const yBytesV2 = /** @type {Uint8Array} */ (v2).length;

  let amMap = A.init();
  for (let i = 0; i < prior; i++) {
    amMap = A.change(amMap, (d) => {
      d[keys[i % 100]] = TEN_BYTES;
    });
  }
  amMap = A.change(amMap, (d) => {
    d[key] = TEN_BYTES;
  });
  const amMapBytes = /** @type {Uint8Array} */ (A.getLastLocalChange(amMap)).length;

  log(
    `delta bytes: pn ${pnBytes} (automerge ${amCounterBytes}); lww ${lwwBytes} (yjs v1 ${yBytes}, v2 ${yBytesV2}, automerge ${amMapBytes})`,
  );
  const pn = /** @type {const} */ ({
    metric: 'pnCounterIncDeltaBytes',
    value: pnBytes,
    unit: 'B',
    better: 'lower',
    note: `after ${prior} increments; automerge: A.getLastLocalChange of a Counter increment`,
  });
  const lww = /** @type {const} */ ({
    metric: 'lwwMapSetDeltaBytes',
    value: lwwBytes,
    unit: 'B',
    better: 'lower',
  });
  const yjsRow = versus(
    {
      ...lww,
      note: `10-byte string, existing key, after ${prior} sets; yjs v1 update (v2: ${yBytesV2} B)`,
    },
    'yjs',
    yBytes,
  );
  const rows = [
    withGoal(versus(pn, 'automerge', amCounterBytes), '<= 16 B', pnBytes <= 16),
    withGoal(yjsRow, '<= yjs', lwwBytes <= yBytes),
    versus({ ...lww, note: 'automerge: A.getLastLocalChange' }, 'automerge', amMapBytes),
  ];
  return { rows, pnDelta, lwwDelta };
}

// ---------------------------------------------------------------------------------------------
// AWSet with 100k elements: single-operation latency and delta size

/** @param {Config} cfg @param {(s: string) => void} log @returns {Result[]} */
function awSet(cfg, log) {
  const size = cfg.awSize;
  // Fixed-width names, so the element's own length is the same at every set size.
  const el = (/** @type {number} */ i) => `el-${String(i).padStart(6, '0')}`;
  const elements = Array.from({ length: size }, (_, i) => el(i));
  const fresh = el(999_999);

  const actor = { replica: newReplicaId() };
  const s = AWSet.empty();
  /** @type {Record<string, number>} */
  const bytes = {};
  const measureDeltas = (/** @type {string} */ at) => {
    bytes[`add${at}`] = AWSet.encode(AWSet.add(s, actor, fresh)).length;
    bytes[`remove${at}`] = AWSet.encode(AWSet.remove(s, actor, elements[500])).length;
  };
  for (let i = 0; i < size; i++) {
    AWSet.merge(s, AWSet.add(s, actor, elements[i]));
    if (i + 1 === 1000) measureDeltas('1k');
  }
  measureDeltas('100k');
  check(AWSet.value(s).size === size, 'helios AWSet holds every element');

  const doc = new Y.Doc();
  const ymap = doc.getMap('s');
  doc.transact(() => {
    for (const e of elements) ymap.set(e, true);
  });
  check(ymap.size === size, 'yjs map holds every element');

  // Each sample removes a random present element, then adds it back: the set stays at `size`.
  // Both libraries go through the same sequence of elements.
  const random = createRng(0x9e3779b9).next;
  const picks = Array.from({ length: cfg.awSamples * cfg.awRounds + 2000 }, () =>
    Math.floor(random() * size),
  );
  /**
   * Latency rounds over one library: `round(count)` times `count` remove/add pairs and records
   * the round's percentiles; `result()` gives the median of each percentile over the rounds.
   * @param {(e: string) => void} remove
   * @param {(e: string) => void} add
   */
  const sampler = (remove, add) => {
    let offset = 0;
    /** @type {Record<'addP50' | 'addP99' | 'rmP50' | 'rmP99' | 'opP50' | 'opP99', number[]>} */
    const stats = { addP50: [], addP99: [], rmP50: [], rmP99: [], opP50: [], opP99: [] };
    const time = (/** @type {number} */ count) => {
      const base = offset;
      offset += count;
      const rm = new Float64Array(count);
      const ad = new Float64Array(count);
      for (let i = 0; i < count; i++) {
        const e = /** @type {string} */ (elements[/** @type {number} */ (picks[base + i])]);
        const t0 = process.hrtime.bigint();
        remove(e);
        const t1 = process.hrtime.bigint();
        add(e);
        const t2 = process.hrtime.bigint();
        rm[i] = Number(t1 - t0) / 1000;
        ad[i] = Number(t2 - t1) / 1000;
      }
      return { rm, ad };
    };
    return {
      warmUp: () => time(2000),
      round: () => {
        collectGarbage();
        const { rm, ad } = time(cfg.awSamples);
        const both = new Float64Array([...rm, ...ad]);
        stats.addP50.push(percentile(ad, 50));
        stats.addP99.push(percentile(ad, 99));
        stats.rmP50.push(percentile(rm, 50));
        stats.rmP99.push(percentile(rm, 99));
        stats.opP50.push(percentile(both, 50));
        stats.opP99.push(percentile(both, 99));
      },
      result: () =>
        /** @type {Record<keyof typeof stats, number>} */ (
          Object.fromEntries(Object.entries(stats).map(([k, v]) => [k, median(v)]))
        ),
    };
  };

  const helios = sampler(
    (e) => AWSet.merge(s, AWSet.remove(s, actor, e)),
    (e) => AWSet.merge(s, AWSet.add(s, actor, e)),
  );
  const yjs = sampler(
    (e) => ymap.delete(e),
    (e) => ymap.set(e, true),
  );
  helios.warmUp();
  yjs.warmUp();
  // Rounds alternate between the libraries, so a burst of outside load hits both alike.
  for (let k = 0; k < cfg.awRounds; k++) {
    helios.round();
    yjs.round();
  }
  const ours = helios.result();
  const theirs = yjs.result();
  check(AWSet.value(s).size === size, 'helios AWSet keeps its size through the samples');
  check(ymap.size === size, 'yjs map keeps its size through the samples');

  log(
    `AWSet ${size}: helios p50/p99 ${ours.opP50.toFixed(2)}/${ours.opP99.toFixed(2)} µs, yjs ${theirs.opP50.toFixed(2)}/${theirs.opP99.toFixed(2)} µs; delta bytes ${JSON.stringify(bytes)}`,
  );
  const note = `${size} elements, mutator + merge per op; yjs: Y.Map set/delete, each its own transaction`;
  /** @param {string} metric @param {keyof typeof ours} k */
  const lat = (metric, k) =>
    versus({ metric, value: ours[k], unit: 'µs', better: 'lower', note }, 'yjs', theirs[k]);
  const p99 = lat('awSet100kOpP99Us', 'opP99');
  return [
    withGoal(p99, '<= 50 µs', p99.value <= 50),
    lat('awSet100kOpP50Us', 'opP50'),
    lat('awSet100kAddP50Us', 'addP50'),
    lat('awSet100kAddP99Us', 'addP99'),
    lat('awSet100kRemoveP50Us', 'rmP50'),
    lat('awSet100kRemoveP99Us', 'rmP99'),
    ...['1k', '100k'].flatMap((at) => [
      {
        metric: `awSetDeltaBytes${at}`,
        value: /** @type {number} */ (bytes[`add${at}`]),
        unit: 'B',
        better: /** @type {const} */ ('lower'),
        note: `add of a new element to a set of ${at} elements`,
      },
      {
        metric: `awSetRemoveDeltaBytes${at}`,
        value: /** @type {number} */ (bytes[`remove${at}`]),
        unit: 'B',
        better: /** @type {const} */ ('lower'),
        note: `remove of an element from a set of ${at} elements`,
      },
    ]),
  ];
}

// ---------------------------------------------------------------------------------------------
// Codec against msgpackr

/** An AWSet of 1000 elements written by three replicas, some added twice, some removed. */
function awSet1k() {
  const actors = [0, 1, 2].map(() => ({ replica: newReplicaId() }));
  const replicas = actors.map(() => AWSet.empty());
  const el = (/** @type {number} */ i) => `item-${String(i).padStart(5, '0')}`;
  actors.forEach((actor, r) => {
    const s = /** @type {import('@helios/core').SetState} */ (replicas[r]);
    for (let i = r * 400; i < r * 400 + 500; i++) AWSet.merge(s, AWSet.add(s, actor, el(i)));
  });
  const merged = AWSet.empty();
  for (const s of replicas) AWSet.merge(merged, s);
  for (let i = 0; i < 1300; i++) {
    if (i % 13 < 3) AWSet.merge(merged, AWSet.remove(merged, actors[0], el(i)));
  }
  check(AWSet.value(merged).size === 1000, 'the AWSet message holds 1000 elements');
  return merged;
}

/** A shopping cart of 20 lines edited on two devices. */
function cart20() {
  const Cart = orMap(PNCounter);
  const phone = { replica: newReplicaId() };
  const laptop = { replica: newReplicaId() };
  const a = Cart.empty();
  const sku = (/** @type {number} */ i) => `sku-${String(10_000 + i * 37)}`;
  for (let i = 0; i < 20; i++) {
    Cart.merge(
      a,
      Cart.update(a, sku(i), (line) => PNCounter.increment(line, phone, 1 + (i % 3))),
    );
  }
  const b = Cart.clone(a);
  for (let i = 0; i < 20; i += 3) {
    Cart.merge(
      b,
      Cart.update(b, sku(i), (line) => PNCounter.increment(line, laptop, 2)),
    );
    Cart.merge(
      b,
      Cart.update(b, sku(i + 1), (line) => PNCounter.decrement(line, laptop, 1)),
    );
  }
  Cart.merge(a, b);
  check(Cart.value(a).size === 20, 'the cart holds 20 lines');
  return { Cart, state: a };
}

/**
 * @param {Config} cfg
 * @param {(s: string) => void} log
 * @param {{ pnDelta: any, lwwDelta: any }} deltas
 * @returns {Result[]}
 */
function codec(cfg, log, deltas) {
  const { Cart, state: cart } = cart20();
  /** @type {[string, any, any, number | number[]][]} */
  const messages = [
    ['pnCounterIncDelta', PNCounter, deltas.pnDelta, PNCounter.typeId],
    ['lwwMapSetDelta', LWWMap, deltas.lwwDelta, LWWMap.typeId],
    ['awSet1k', AWSet, awSet1k(), AWSet.typeId],
    ['cart20', Cart, cart, [Cart.typeId, PNCounter.typeId]],
  ];
  /** @type {Result[]} */
  const rows = [];
  for (const [name, T, state, tag] of messages) {
    const plain = toPlain(tag, state);
    const ours = T.encode(state);
    const theirs = pack(plain);
    check(T.equals(T.decode(ours), state), `helios codec round-trips ${name}`);
    check(isDeepStrictEqual(unpack(theirs), plain), `msgpackr round-trips ${name}`);
    const opts = { targetMs: cfg.codecTargetMs, runs: cfg.codecRuns, warmupMs: cfg.codecWarmupMs };
    const rates = opsPerSec(
      { helios: () => T.decode(T.encode(state)), msgpackr: () => unpack(pack(plain)) },
      opts,
    );
    const heliosRate = rates.helios;
    const msgpackRate = rates.msgpackr;
    log(
      `codec ${name}: helios ${ours.length} B ${heliosRate.toFixed(0)}/s, msgpackr ${theirs.length} B ${msgpackRate.toFixed(0)}/s`,
    );
    rows.push(
      versus(
        { metric: `codecBytes_${name}`, value: ours.length, unit: 'B', better: 'lower' },
        'msgpackr',
        theirs.length,
      ),
      versus(
        {
          metric: `codecOpsPerSec_${name}`,
          value: heliosRate,
          unit: 'ops/s',
          better: 'higher',
          note: 'one op = encode + decode (helios decode validates and rebuilds the state)',
        },
        'msgpackr',
        msgpackRate,
      ),
    );
  }
  return rows;
}

/** The sections of the suite, in the order they run. */
export const SECTIONS = ['lwwMapSet', 'b31', 'deltaBytes', 'awSet', 'codec'];

/**
 * Runs the named sections in this process; with `cpuTime`, runs are timed by CPU time (see
 * `useCpuClock`) and the results say so.
 * @param {{ quick: boolean, log: (s: string) => void, only?: readonly string[], cpuTime?: boolean }} opts
 * @returns {Result[]}
 */
export function runSections({ quick, log, only = SECTIONS, cpuTime = false }) {
  const cfg = quick ? QUICK : FULL;
  if (cpuTime) useCpuClock();
  const wanted = (/** @type {string} */ name) => only.includes(name);
  /** @type {Result[]} */
  const results = [];
  const section = (/** @type {string} */ name, /** @type {() => Result[]} */ run) => {
    if (!wanted(name)) return;
    collectGarbage();
    results.push(...run());
  };
  section('lwwMapSet', () => lwwMapSet(cfg, log));
  section('b31', () => b31(cfg, log));
  // The codec section reuses the deltas measured here, so it needs them even when run alone.
  const d = wanted('deltaBytes') || wanted('codec') ? deltaBytes(log) : undefined;
  if (d !== undefined && wanted('deltaBytes')) results.push(...d.rows);
  section('awSet', () => awSet(cfg, log));
  if (d !== undefined) section('codec', () => codec(cfg, log, d));
  return results.map((r) => {
    const out = rounded(r);
    // Sizes and single-operation latencies do not depend on the clock of timed runs.
    return cpuTime && r.unit !== 'B' && r.unit !== 'µs' ? { ...out, clock: 'cpu' } : out;
  });
}

const SECTION_ENTRY = fileURLToPath(new URL('./core-section.mjs', import.meta.url));

/**
 * Runs the core suite (or the sections named in `only`), each section in a fresh node process,
 * so that no figure depends on what ran before it (V8's optimization state, a heap grown by
 * 100k-key Yjs documents, Automerge's WASM memory). An app does not run three CRDT libraries
 * side by side either.
 * @param {{ quick: boolean, log: (s: string) => void, only?: readonly string[] }} opts
 * @returns {Result[]}
 */
export function runCore({ quick, log, only = SECTIONS }) {
  // A flag of the core suite only, so it is read here rather than by the shared runner.
  const cpuTime = process.argv.includes('--cpu-time');
  const load = loadavg()[0] ?? 0;
  if (load > availableParallelism() / 2) {
    log(
      `warning: load average ${load.toFixed(2)} on ${availableParallelism()} cores: other processes compete for the CPU, figures will be noisy`,
    );
  }
  /** @type {Result[]} */
  const results = [];
  for (const name of SECTIONS.filter((s) => only.includes(s))) {
    log(`section ${name}`);
    const child = spawnSync(
      process.execPath,
      [
        '--expose-gc',
        SECTION_ENTRY,
        name,
        ...(quick ? ['--quick'] : []),
        ...(cpuTime ? ['--cpu-time'] : []),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
    );
    if (child.status !== 0) {
      throw new Error(`core section ${name} failed (exit ${child.status ?? child.signal})`);
    }
    results.push(.../** @type {Result[]} */ (JSON.parse(child.stdout)));
  }
  return results;
}
