/**
 * Core sections on what goes on the wire: delta sizes at steady state (`deltaBytes`), and the
 * codec against msgpackr on those deltas (`codec`).
 */
import { isDeepStrictEqual } from 'node:util';
import * as A from '@automerge/automerge';
import { AWSet, HybridLogicalClock, LWWMap, newReplicaId, orMap, PNCounter } from '@helios/core';
import { pack, unpack } from 'msgpackr';
import * as Y from 'yjs';
import { check, nextMillisecond, TEN_BYTES, versus, withGoal } from './core-rows.mjs';
import { toPlain } from './plain.mjs';
import { median } from './stats.mjs';
import { opsPerSec } from './timing.mjs';

/** Fresh Yjs documents whose update sizes are measured (each draws its own client id). */
const YJS_CLIENT_DRAWS = 15;

/** @typedef {import('./core.mjs').Result} Result */
/** @typedef {import('./core.mjs').Config} Config */

// ---------------------------------------------------------------------------------------------
// Delta sizes at steady state

/** @param {(s: string) => void} log @returns {{ rows: Result[], pnDelta: any, lwwDelta: any }} */
export function deltaBytes(log) {
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

  // A Yjs update names its writer's client id (a random uint32, a 1–5 byte varint) three times:
  // the item, its origin, the delete set. One run's size thus depends on the draw (37 B for the
  // 1 in 16 ids below 2^28); the figure is the median over fresh documents.
  const yjsUpdate = () => {
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
    return { v1: /** @type {Uint8Array} */ (v1).length, v2: /** @type {Uint8Array} */ (v2).length };
  };
  const yjsRuns = Array.from({ length: YJS_CLIENT_DRAWS }, yjsUpdate);
  const yBytes = median(yjsRuns.map((u) => u.v1));
  const yBytesV2 = median(yjsRuns.map((u) => u.v2));
  const yRange = `${Math.min(...yjsRuns.map((u) => u.v1))}–${Math.max(...yjsRuns.map((u) => u.v1))}`;

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
      note: `10-byte string, existing key, after ${prior} sets; yjs v1 update, median of ${YJS_CLIENT_DRAWS} documents (random client ids: ${yRange} B; v2: ${yBytesV2} B)`,
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
export function codec(cfg, log, deltas) {
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
