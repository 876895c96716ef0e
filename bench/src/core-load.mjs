/**
 * Core section `load100k`: opening a document of 100k keys from its stored full state, the way
 * an app shows its first value. Each library encodes the same LWW map (its own best form for a
 * stored full state), then each is timed loading it and reading one key, and, as a secondary
 * figure, loading it and reading every value (so that decoding lazily is not the only win).
 */
import { HybridLogicalClock, LWWMap, newReplicaId } from '@helios/core';
import { LoroDoc } from 'loro-crdt';
import * as Y from 'yjs';
import { check, sig, versus, withGoal } from './core-rows.mjs';
import { medianTimes } from './timing.mjs';

/** @typedef {import('./core.mjs').Result} Result */
/** @typedef {import('./core.mjs').Config} Config */

const KEYS = 100_000;
/** Every tenth key is written again by a second replica (another device of the user). */
const OVERWRITE_EVERY = 10;
/** Loro commits (and Yjs transacts) once per this many writes, as an app batching a bulk edit. */
const BATCH = 1000;
/** The key whose value is "shown first": one from the middle, not the first or last written. */
const SHOWN = 'k54321';

/**
 * The workload, the same for every library: key `k<i>` holds, by `i % 10`, a short string
 * (`v<i>`, 5 of 10), an integer (`i`, 4 of 10) or a boolean (1 of 10); then a second replica
 * overwrites every tenth key with the string `w<i>`. 110k writes in all, 100k keys.
 * @param {number} i
 * @returns {string | number | boolean}
 */
function valueAt(i) {
  const r = i % 10;
  return r < 5 ? `v${i}` : r < 9 ? i : r === 9 && i % 20 === 9;
}

const overwrites = () => {
  /** @type {number[]} */
  const out = [];
  for (let i = 0; i < KEYS; i += OVERWRITE_EVERY) out.push(i);
  return out;
};

function heliosBytes() {
  const first = new HybridLogicalClock({ replica: newReplicaId() });
  const state = LWWMap.empty();
  for (let i = 0; i < KEYS; i++) LWWMap.merge(state, LWWMap.set(state, first, `k${i}`, valueAt(i)));
  const second = new HybridLogicalClock({ replica: newReplicaId() });
  for (const i of overwrites()) LWWMap.merge(state, LWWMap.set(state, second, `k${i}`, `w${i}`));
  return LWWMap.encodeSnapshot(state);
}

function loroBytes() {
  const a = new LoroDoc();
  a.setPeerId(1n);
  const m = a.getMap('m');
  for (let i = 0; i < KEYS; i++) {
    m.set(`k${i}`, valueAt(i));
    if (i % BATCH === BATCH - 1) a.commit();
  }
  a.commit();
  const b = LoroDoc.fromSnapshot(a.export({ mode: 'snapshot' }));
  b.setPeerId(2n);
  const mb = b.getMap('m');
  for (const i of overwrites()) mb.set(`k${i}`, `w${i}`);
  b.commit();
  return {
    snapshot: b.export({ mode: 'snapshot' }),
    // History trimmed to the current version: Loro's form closest to a state without history.
    shallow: b.export({ mode: 'shallow-snapshot', frontiers: b.oplogFrontiers() }),
  };
}

function yjsBytes() {
  const a = new Y.Doc();
  const m = a.getMap('m');
  for (let i = 0; i < KEYS; i += BATCH) {
    a.transact(() => {
      for (let j = i; j < i + BATCH; j++) m.set(`k${j}`, valueAt(j));
    });
  }
  const b = new Y.Doc();
  Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
  b.transact(() => {
    for (const i of overwrites()) b.getMap('m').set(`k${i}`, `w${i}`);
  });
  return Y.encodeStateAsUpdate(b);
}

/** @param {Uint8Array} bytes */
const heliosOne = (bytes) => LWWMap.get(LWWMap.decode(bytes), SHOWN);
/** @param {Uint8Array} bytes */
const heliosStoredOne = (bytes) => LWWMap.get(LWWMap.decodeStored(bytes), SHOWN);
/** @param {Uint8Array} bytes */
const heliosAll = (bytes) => LWWMap.value(LWWMap.decode(bytes));
/** @param {Uint8Array} bytes */
const loroOne = (bytes) => LoroDoc.fromSnapshot(bytes).getMap('m').get(SHOWN);
/** @param {Uint8Array} bytes */
const loroImportOne = (bytes) => {
  const doc = new LoroDoc();
  doc.import(bytes);
  return doc.getMap('m').get(SHOWN);
};
/** @param {Uint8Array} bytes */
const loroAll = (bytes) => LoroDoc.fromSnapshot(bytes).getMap('m').toJSON();
/** @param {Uint8Array} bytes */
const yjsDoc = (bytes) => {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, bytes);
  return doc.getMap('m');
};
/** @param {Uint8Array} bytes */
const yjsOne = (bytes) => yjsDoc(bytes).get(SHOWN);
/** @param {Uint8Array} bytes */
const yjsAll = (bytes) => yjsDoc(bytes).toJSON();

/** @param {Config} cfg @param {(s: string) => void} log @returns {Result[]} */
export function load100k(cfg, log) {
  const h = heliosBytes();
  const { snapshot: l, shallow: ls } = loroBytes();
  const y = yjsBytes();
  const shown = valueAt(54321);
  check(
    heliosOne(h) === shown &&
      heliosStoredOne(h) === shown &&
      loroOne(l) === shown &&
      yjsOne(y) === shown,
    'first value',
  );
  check(loroImportOne(l) === shown && loroOne(ls) === shown, 'loro import, shallow snapshot');
  const all = /** @type {Map<string, unknown>} */ (heliosAll(h));
  const loroJson = /** @type {Record<string, unknown>} */ (loroAll(l));
  const yjsJson = /** @type {Record<string, unknown>} */ (yjsAll(y));
  check(all.size === KEYS && all.get('k10') === 'w10' && all.get('k11') === 'v11', 'helios all');
  check(Object.keys(loroJson).length === KEYS && loroJson.k10 === 'w10', 'loro all');
  check(Object.keys(yjsJson).length === KEYS && yjsJson.k10 === 'w10', 'yjs all');

  const runs = cfg.loadRuns;
  const one = medianTimes(
    {
      helios: { setup: () => h, run: heliosOne },
      heliosStored: { setup: () => h, run: heliosStoredOne },
      loro: { setup: () => l, run: loroOne },
      loroImport: { setup: () => l, run: loroImportOne },
      loroShallow: { setup: () => ls, run: loroOne },
      yjs: { setup: () => y, run: yjsOne },
    },
    { runs },
  );
  const every = medianTimes(
    {
      helios: { setup: () => h, run: heliosAll },
      loro: { setup: () => l, run: loroAll },
      yjs: { setup: () => y, run: yjsAll },
    },
    { runs },
  );
  const loroMs = Math.min(one.loro, one.loroImport);
  const loroHow =
    one.loro <= one.loroImport ? 'LoroDoc.fromSnapshot' : 'new LoroDoc() + doc.import';
  log(
    `load100k: helios ${one.helios.toFixed(2)} ms (stored ${one.heliosStored.toFixed(2)}), loro ${one.loro.toFixed(2)} (import ${one.loroImport.toFixed(2)}, shallow ${one.loroShallow.toFixed(2)}), yjs ${one.yjs.toFixed(2)}; all values: helios ${every.helios.toFixed(1)}, loro ${every.loro.toFixed(1)}, yjs ${every.yjs.toFixed(1)}; bytes helios ${h.length}, loro ${l.length} (shallow ${ls.length}), yjs ${y.length}`,
  );
  const workload = `${KEYS} keys k<i>: 5/10 short strings, 4/10 integers, 1/10 booleans; a second replica rewrote every ${OVERWRITE_EVERY}th key; median of ${runs}`;
  const configs = `helios: LWWMap.encodeSnapshot, then LWWMap.decode + LWWMap.get; loro: export({mode:'snapshot'}) (commit per ${BATCH} sets), then ${loroHow} + getMap('m').get; yjs: encodeStateAsUpdate (transact per ${BATCH} sets), then applyUpdate into a new Y.Doc + getMap('m').get`;
  const load = /** @type {const} */ ({ metric: 'load100kMs', unit: 'ms', better: 'lower' });
  const allRow = /** @type {const} */ ({
    metric: 'load100kAllValuesMs',
    unit: 'ms',
    better: 'lower',
  });
  const bytes = /** @type {const} */ ({ metric: 'state100kBytes', unit: 'B', better: 'lower' });
  const loadRatio = one.helios / loroMs;
  const bytesRatio = h.length / l.length;
  return [
    versus({ ...load, value: one.helios, note: `${workload}; ${configs}` }, 'loro', loroMs),
    versus({ ...load, value: one.helios }, 'yjs', one.yjs),
    versus(
      {
        metric: 'load100kStoredMs',
        unit: 'ms',
        better: 'lower',
        value: one.heliosStored,
        note: "helios: LWWMap.decodeStored + get, as a client opens its own IndexedDB snapshot (the checksum over all bytes, the index, then the key's block of 1,024 keys decoded and checked); loro: the same fromSnapshot + get as load100kMs, which also checks a checksum and decodes its state lazily. load100kMs and the goal take LWWMap.decode, which checks every block first",
      },
      'loro',
      loroMs,
    ),
    versus(
      {
        ...load,
        value: one.helios,
        note: "loro-shallow: export({mode:'shallow-snapshot', frontiers: oplogFrontiers()}), history trimmed; informational, the goal is against the full snapshot",
      },
      'loro-shallow',
      one.loroShallow,
    ),
    versus(
      {
        ...allRow,
        value: every.helios,
        note: 'helios: LWWMap.value; loro: getMap(m).toJSON(); yjs: toJSON()',
      },
      'loro',
      every.loro,
    ),
    versus({ ...allRow, value: every.helios }, 'yjs', every.yjs),
    versus({ ...bytes, value: h.length }, 'loro', l.length),
    versus({ ...bytes, value: h.length }, 'yjs', y.length),
    versus({ ...bytes, value: h.length }, 'loro-shallow', ls.length),
    withGoal(
      {
        metric: 'load100kVsLoro',
        value: loadRatio,
        unit: 'x',
        better: 'lower',
        note: `Helios ms / Loro ms (${sig(one.helios)} / ${sig(loroMs)}), same run`,
      },
      '<= 1.0',
      loadRatio <= 1,
    ),
    withGoal(
      {
        metric: 'state100kBytesVsLoro',
        value: bytesRatio,
        unit: 'x',
        better: 'lower',
        note: `Helios bytes / Loro bytes (${h.length} / ${l.length})`,
      },
      '<= 1.0',
      bytesRatio <= 1,
    ),
  ];
}
