/** Core section on a large add-wins set: single-operation latency and delta size (`awSet`). */
import { AWSet, newReplicaId } from '@helios/core';
import { createRng } from '@helios/test-kit';
import * as Y from 'yjs';
import { check, versus, withGoal } from './core-rows.mjs';
import { median, percentile } from './stats.mjs';
import { collectGarbage } from './timing.mjs';

/** @typedef {import('./core.mjs').Result} Result */
/** @typedef {import('./core.mjs').Config} Config */

// ---------------------------------------------------------------------------------------------
// AWSet with 100k elements: single-operation latency and delta size

/** @param {Config} cfg @param {(s: string) => void} log @returns {Result[]} */
export function awSet(cfg, log) {
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
