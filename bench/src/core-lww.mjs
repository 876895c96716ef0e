/**
 * Core sections on LWW maps: local writes (`lwwMapSet`), and one replica merging many replicas'
 * concurrent writes to one key (`b31`).
 */
import * as A from '@automerge/automerge';
import {
  compareTimestamps,
  encodeDeltaBatch,
  HybridLogicalClock,
  LWWMap,
  mergeDeltaBatch,
  newReplicaId,
} from '@helios/core';
import * as Y from 'yjs';
import { check, versus, withGoal } from './core-rows.mjs';
import { medianTimes } from './timing.mjs';

/** @typedef {import('./core.mjs').Result} Result */
/** @typedef {import('./core.mjs').Config} Config */

// ---------------------------------------------------------------------------------------------
// lwwMapSetOpsPerSec

/** @param {Config} cfg @param {(s: string) => void} log @returns {Result[]} */
export function lwwMapSet(cfg, log) {
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
export function b31(cfg, log) {
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
  // What a relay sends a receiver that lacks many writers' deltas (a feed or backfill page): one
  // batch, which names each writer once in one replica table. Encoded untimed, by the sender.
  const heliosBatch = encodeDeltaBatch(LWWMap, decoded);
  const mergeBatch = (/** @type {Uint8Array} */ batch) => {
    const target = LWWMap.empty();
    mergeDeltaBatch(LWWMap, target, batch);
    return target;
  };
  const merged = mergeBytes(heliosDeltas);
  const reversed = mergeBytes([...heliosDeltas].reverse());
  check(LWWMap.get(merged, 'v') === best?.value, 'helios B3.1 picks the greatest timestamp');
  check(LWWMap.equals(merged, reversed), 'helios B3.1 converges whatever the merge order');
  check(LWWMap.equals(mergeBatch(heliosBatch), merged), 'helios batch merge = per-delta merge');

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
      helios: { setup: () => heliosBatch, run: mergeBatch },
      heliosPerDelta: { setup: () => heliosDeltas, run: mergeBytes },
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
  const { helios: heliosMs, heliosPerDelta: perDeltaMs, heliosInMemory: heliosMemMs } = ms;
  const amMs = ms.automerge;
  const yjsA = ms.yjsOneByOne;
  const yjsB = ms.yjsMerged;

  const yjsMs = Math.min(yjsA, yjsB);
  const yjsHow = yjsA <= yjsB ? 'Y.applyUpdate per update' : 'Y.mergeUpdates then one applyUpdate';
  log(
    `B3.1: helios ${heliosMs.toFixed(2)} ms (per delta ${perDeltaMs.toFixed(2)}, in memory ${heliosMemMs.toFixed(2)}), yjs ${yjsA.toFixed(2)} / merged ${yjsB.toFixed(2)} ms, automerge ${amMs.toFixed(2)} ms`,
  );
  const base = /** @type {const} */ ({
    metric: 'b31MergeMs',
    value: heliosMs,
    unit: 'ms',
    better: 'lower',
  });
  const batchNote = `helios: one batch of ${n} deltas (${heliosBatch.length} B) with one replica table, decoded and merged (mergeDeltaBatch; encodeDeltaBatch is the sender's, untimed)`;
  const fasterPeer = yjsMs <= amMs ? 'yjs' : 'automerge';
  const goalMet = heliosMs <= Math.min(yjsMs, amMs) / 5;
  const rows = [
    versus({ ...base, note: `${batchNote}; yjs: ${yjsHow}` }, 'yjs', yjsMs),
    versus(
      { ...base, note: `${batchNote}; automerge: one A.applyChanges of ${n} changes` },
      'automerge',
      amMs,
    ),
  ].map((r) => (r.peer === fasterPeer ? withGoal(r, '<= 1/5 of faster peer', goalMet) : r));
  rows.push({
    metric: 'b31MergePerDeltaMs',
    value: perDeltaMs,
    unit: 'ms',
    better: 'lower',
    note: `${n} deltas each encoded on its own (${heliosDeltas.reduce((a, b) => a + b.length, 0)} B), each decoded and merged`,
  });
  rows.push({
    metric: 'b31MergeInMemoryMs',
    value: heliosMemMs,
    unit: 'ms',
    better: 'lower',
    note: 'merge only, deltas decoded beforehand',
  });
  return rows;
}
