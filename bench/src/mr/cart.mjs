/**
 * The cart workload (figures 3 and 4 of docs/benchmarks.md): 100 users in five regions, run
 * twice on one five-relay cluster: in ten team carts of ten members (two per region), then all
 * in one shared cart. Each cart is three documents:
 *
 * - `cart:<g>`  OR-Map item → PN-Counter (quantities: add one, remove one)
 * - `opts:<g>`  LWW-Map item → chosen variant ({ size })
 * - `notes:<g>` OR-Map item → Multi-Value Register (a gift note)
 *
 * Users act as Poisson processes; the item of each action follows a Zipf law over 200 SKUs, so
 * popular items see concurrent writes from several regions. Every write's causal context (what
 * its writer had seen) is recorded, so concurrency is decided exactly, not guessed from timing.
 *
 * Bandwidth: ten users (two per region) connect through byte-counting TCP proxies; everything on
 * their sockets (WebSocket and Socket.IO framing, acks, `replicated` notices, pings) is counted
 * and set against the size of the written document's full encoded state: what a state-based
 * protocol would send instead of the delta.
 */
import { LWWMap, MVRegister, orMap, PNCounter } from '@helios/core';
import { createRng, startProxy } from '@helios/test-kit';
import { analyseConflicts, convergedCarts, incrementsLost } from './cart-checks.mjs';
import { startCluster } from './cluster.mjs';
import {
  allOnline,
  closeAll,
  cpuPressure,
  expGap,
  nodeClient,
  pressureRow,
  r2,
  relayMetric,
  relayOrder,
  sleep,
  until,
  zipf,
} from './common.mjs';
import { relayErrors } from './convergence.mjs';

const Cart = orMap(PNCounter);
const Notes = orMap(MVRegister);

const USERS = 100;
const ITEMS = 200;
const ZIPF_S = 1.0;
const MEAN_GAP_MS = 2000;
const SIZES = ['S', 'M', 'L', 'XL'];
const sku = (/** @type {number} */ i) => `sku-${String(i).padStart(4, '0')}`;

/** @typedef {import('./cart-checks.mjs').Write} Write */

/**
 * @param {{ quick: boolean, log: (s: string) => void }} opts
 */
export async function runCart({ quick, log }) {
  const warmupS = quick ? 10 : 20;
  const measureS = quick ? 20 : 60;
  const pressure0 = cpuPressure();
  const cluster = await startCluster({ log: relayErrors(log) });
  try {
    /** @type {import('../core.mjs').Result[]} */
    const results = [];
    // The same 100 users twice: in ten team carts of ten, then all in one shared cart. State
    // size, and so what a delta saves, and the chance of concurrent writes to one key both
    // grow with the number of writers of a document.
    for (const carts of [10, 1]) {
      const label = carts === 1 ? 'one cart of 100 members' : 'ten carts of 10 members';
      log(`cart: ${label}`);
      const rows = await workload(cluster, { carts, warmupS, measureS, label }, log);
      results.push(...rows.map((r) => ({ ...r, workload: label })));
    }
    results.push(pressureRow(pressure0));
    return results;
  } finally {
    await cluster.stop();
  }
}

/**
 * One run of the workload on a running cluster, with fresh users.
 * @param {import('./cluster.mjs').Cluster} cluster
 * @param {{ carts: number, warmupS: number, measureS: number, label: string }} cfg
 * @param {(s: string) => void} log
 * @returns {Promise<import('../core.mjs').Result[]>}
 */
async function workload(cluster, { carts: CARTS, warmupS, measureS, label }, log) {
  /** @type {import('@helios/client').HeliosClient[]} */
  const clients = [];
  /** @type {import('@helios/test-kit').TcpProxy[]} */
  const proxies = [];
  try {
    // User u lives in region u % 5 and belongs to cart ⌊u / 10⌋ mod carts: ten carts of ten
    // members with two per region, or one cart of everybody. Ten users are measured, two per
    // region (with ten carts, one member of each cart).
    const users = [];
    for (let u = 0; u < USERS; u++) {
      const cart = Math.floor(u / 10) % CARTS;
      const region = /** @type {string} */ (cluster.regions[u % 5]);
      const measured = CARTS === 1 ? u < 10 : u % 10 === cart % 5;
      let relays = relayOrder(region, cluster.url);
      let proxy;
      if (measured) {
        proxy = await startProxy(cluster.port(region));
        proxies.push(proxy);
        relays = [proxy.url];
      }
      const client = nodeClient(relays);
      clients.push(client);
      users.push({
        u,
        cart,
        region,
        proxy,
        client,
        cartDoc: client.crdtMap(`${CARTS}:cart:${cart}`, PNCounter),
        opts: client.lwwMap(`${CARTS}:opts:${cart}`),
        notes: client.crdtMap(`${CARTS}:notes:${cart}`, MVRegister),
        random: createRng(1000 + u + 100 * CARTS).next,
      });
    }
    await Promise.all(users.flatMap((x) => [x.cartDoc.loaded, x.opts.loaded, x.notes.loaded]));
    await allOnline(clients, 30_000);

    /** @type {Write[]} */
    const writes = [];
    let measuring = false;
    let lastWriteAt = 0;
    const pickItem = zipf(ITEMS, ZIPF_S, createRng(7 + CARTS).next);

    /** One user action. @param {(typeof users)[number]} x */
    const act = (x) => {
      const item = sku(pickItem());
      const roll = x.random();
      /** @type {Write | undefined} */
      let w;
      /** @type {import('@helios/client').Receipt} */
      let receipt;
      const base = { user: x.u, cart: x.cart, key: item, measured: measuring };
      if (roll < 0.75) {
        const qty = /** @type {number | undefined} */ (x.cartDoc.value.get(item)) ?? 0;
        // Remove one only if the cart holds it, as a shop's "−" button does.
        const kind = roll < 0.6 || qty <= 0 ? 'inc' : 'dec';
        receipt = x.cartDoc.mutate((s, a) => {
          const ctx = s.context.clone();
          const delta = Cart.update(s, item, (line) =>
            kind === 'inc' ? PNCounter.increment(line, a, 1) : PNCounter.decrement(line, a, 1),
          );
          w = {
            ...base,
            kind,
            doc: `${CARTS}:cart:${x.cart}`,
            ctx,
            deltaBytes: Cart.encode(delta).length,
            stateBytes: Cart.encode(Cart.join(s, delta)).length,
          };
          return delta;
        });
      } else if (roll < 0.9) {
        const size = /** @type {string} */ (SIZES[Math.floor(x.random() * SIZES.length)]);
        receipt = x.opts.mutate((s, a) => {
          const ctx = s.context.clone();
          const value = { size, by: x.u };
          const delta = LWWMap.set(s, a, item, value);
          const entry =
            /** @type {import('@helios/core').DotEntry<import('@helios/core').LwwEntry>} */ (
              delta.store.entries.get(item)?.[0]
            );
          w = {
            ...base,
            kind: 'lww',
            doc: `${CARTS}:opts:${x.cart}`,
            ctx,
            value,
            ts: { wall: entry.value.wall, counter: entry.value.counter, replica: entry.replica },
            deltaBytes: x.opts.type.encode(delta).length,
            stateBytes: x.opts.type.encode(x.opts.type.join(s, delta)).length,
          };
          return delta;
        });
      } else {
        const note = `for u${x.u}: ${Math.floor(x.random() * 1000)}`;
        receipt = x.notes.mutate((s, a) => {
          const ctx = s.context.clone();
          const delta = Notes.update(s, item, (reg) => MVRegister.set(reg, a, note));
          w = {
            ...base,
            kind: 'mv',
            doc: `${CARTS}:notes:${x.cart}`,
            ctx,
            value: note,
            deltaBytes: Notes.encode(delta).length,
            stateBytes: Notes.encode(Notes.join(s, delta)).length,
          };
          return delta;
        });
      }
      lastWriteAt = performance.now();
      // Filled in synchronously by the mutator above.
      const done = /** @type {Write} */ (/** @type {unknown} */ (w));
      done.dot = receipt.dot;
      writes.push(done);
    };

    /** Runs every user's Poisson process for `seconds`. */
    const phase = async (/** @type {number} */ seconds) => {
      const end = performance.now() + seconds * 1000;
      await Promise.all(
        users.map(async (x) => {
          for (;;) {
            const due = performance.now() + expGap(MEAN_GAP_MS, x.random);
            // Never sleep past the end: the phase (and the convergence clock) ends on time.
            await sleep(Math.min(due, end) - performance.now());
            if (performance.now() >= end) return;
            act(x);
          }
        }),
      );
    };

    const converged = () => convergedCarts(users);

    await phase(warmupS);
    if (!(await until(converged, 60_000, 200))) log('cart: warm-up did not converge in 60 s');
    for (const p of proxies) p.reset();
    measuring = true;
    const measuredFrom = writes.length;
    await phase(measureS);
    const ok = await until(converged, 120_000, 50);
    const convergeMs = performance.now() - lastWriteAt;
    if (!ok) log('cart: replicas did not converge within 120 s of the last write');
    await Promise.all(users.map((x) => x.client.flush('relay')));
    log(
      `cart (${label}): ${writes.length} writes, converged ${r2(convergeMs)} ms after the last one`,
    );

    // ─── figure 3: bytes on the wire ───────────────────────────────────────────────────────
    const window = writes.slice(measuredFrom);
    let up = 0;
    let down = 0;
    let own = 0;
    let received = 0;
    for (const x of users) {
      if (!x.proxy) continue;
      up += x.proxy.bytesUp;
      down += x.proxy.bytesDown;
      own += window.filter((w) => w.user === x.u).length;
      received += window.filter((w) => w.cart === x.cart && w.user !== x.u).length;
    }
    const mean = (/** @type {number[]} */ xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const statePerOp = mean(window.map((w) => w.stateBytes));
    const deltaPerOp = mean(window.map((w) => w.deltaBytes));
    const wirePerOp = (up + down) / (own + received);
    const reduction = 100 * (1 - wirePerOp / statePerOp);
    const finalState = Math.max(
      ...writes.filter((w) => w.doc.includes(':cart:')).map((w) => w.stateBytes),
    );
    const measuredNote = `${proxies.length} measured clients (two per region${CARTS > 1 ? ', one per cart' : ''}) over ${measureS} s: ${own} own writes, ${received} received`;

    // ─── figure 4: conflicts ───────────────────────────────────────────────────────────────
    const c = analyseConflicts(writes, users);
    const lost = incrementsLost(users, writes);
    const relayConflicts = await Promise.all(
      cluster.regions.map((r) => relayMetric(cluster.url(r), 'helios_conflicts_total')),
    );
    const counts = { inc: 0, dec: 0, lww: 0, mv: 0 };
    for (const w of writes) counts[w.kind]++;
    const counterWrites = counts.inc + counts.dec;
    const pct = (/** @type {number} */ a, /** @type {number} */ b) => `${r2((100 * a) / b)}%`;
    const workload = `${USERS} users in ${label} (members spread evenly over the 5 regions), Zipf(s=${ZIPF_S}) over ${ITEMS} SKUs, one action per user every ${MEAN_GAP_MS / 1000} s on average, ${warmupS + measureS} s`;

    return [
      {
        metric: 'cartWireBytesPerOp',
        value: r2(wirePerOp),
        unit: 'B',
        better: 'lower',
        note: `all bytes on the measured clients' sockets (up ${r2(up / own)} B per own write, down ${r2(down / received)} B per write received, framing, acks, replicated notices and pings included) / writes carried; ${measuredNote}`,
      },
      {
        metric: 'cartWireBytesUpPerOp',
        value: r2(up / own),
        unit: 'B',
        better: 'lower',
        note: 'client → relay bytes per own write (the push: one binary WebSocket message, the parser marker byte plus the frame)',
      },
      {
        metric: 'cartWireBytesDownPerOp',
        value: r2(down / received),
        unit: 'B',
        better: 'lower',
        note: "relay → client bytes per write of another member (the delta, plus this client's acks and `replicated` notices spread over them)",
      },
      {
        metric: 'cartDeltaPayloadBytes',
        value: r2(deltaPerOp),
        unit: 'B',
        better: 'lower',
        note: 'mean encoded delta of a write (the payload inside the push)',
      },
      {
        metric: 'cartFullStateBytes',
        value: r2(statePerOp),
        unit: 'B',
        better: 'lower',
        note: `mean encoded full state of the written document right after each measured write (largest cart document: ${finalState} B)`,
      },
      {
        metric: 'deltaVsStateReductionPct',
        value: r2(reduction),
        unit: '%',
        better: 'higher',
        goal: '>= 99',
        goalMet: reduction >= 99,
        note: `1 − (wire bytes per write, everything included) / (full state payload alone, no framing): ${r2(wirePerOp)} B vs ${r2(statePerOp)} B; payload alone: ${r2(100 * (1 - deltaPerOp / statePerOp))}%`,
      },
      {
        metric: 'cartWrites',
        value: writes.length,
        unit: 'writes',
        better: 'higher',
        note: `${counts.inc} add-one, ${counts.dec} remove-one, ${counts.lww} LWW variant choices, ${counts.mv} MV gift notes; ${workload}`,
      },
      {
        metric: 'concurrentSameKeyWritesCounter',
        value: c.counter.concurrent,
        unit: 'writes',
        better: 'lower',
        note: `PN-Counter quantities: ${pct(c.counter.concurrent, counterWrites)} of ${counterWrites} writes had a concurrent write to the same item (${c.counter.pairs} concurrent pairs); merged without loss by design`,
      },
      {
        metric: 'concurrentSameKeyWritesLww',
        value: c.lww.concurrent,
        unit: 'writes',
        better: 'lower',
        note: `LWW-Map variants: ${pct(c.lww.concurrent, counts.lww)} of ${counts.lww} writes (${c.lww.pairs} pairs)`,
      },
      {
        metric: 'concurrentSameKeyWritesMv',
        value: c.mv.concurrent,
        unit: 'writes',
        better: 'lower',
        note: `MV gift notes: ${pct(c.mv.concurrent, counts.mv)} of ${counts.mv} writes (${c.mv.pairs} pairs)`,
      },
      {
        metric: 'lwwUpdatesLost',
        value: c.lwwLost,
        unit: 'writes',
        better: 'lower',
        note: `LWW writes overwritten by a concurrent write with a later timestamp, never seen by its writer (${pct(c.lwwLost, counts.lww)} of LWW writes); final values checked equal to the LWW winner on every replica: ${c.lwwMismatch === 0 ? 'yes' : `${c.lwwMismatch} mismatches`}`,
      },
      {
        metric: 'mvSiblingsCreated',
        value: c.mv.concurrent,
        unit: 'values',
        better: 'lower',
        note: `MV writes that stood side by side with a concurrent one (kept, shown to the app as siblings); ${c.mvOpenAtEnd} notes still conflicted at the end; every replica shows exactly the surviving values: ${c.mvMismatch === 0 ? 'yes' : `no, ${c.mvMismatch} mismatches`}. Relay-side counter helios_conflicts_total (merges that left siblings, summed over the 5 relays): ${relayConflicts.reduce((a, b) => a + b, 0)}`,
      },
      {
        metric: 'incrementsLost',
        value: lost.lost,
        unit: 'increments',
        better: 'lower',
        goal: '= 0',
        goalMet: lost.lost === 0 && lost.extra === 0,
        note: `Σ over carts, items and all 100 replicas of (expected − shown quantity), expected = adds − removes written; ${lost.checked} quantities checked${lost.extra > 0 ? `; ${lost.extra} surplus` : ''}`,
      },
      {
        metric: 'cartConvergeMs',
        value: r2(convergeMs),
        unit: 'ms',
        better: 'lower',
        note: 'from the last write until all 100 replicas showed equal carts, variants and notes',
      },
    ];
  } finally {
    await closeAll(clients);
    for (const p of proxies) await p.close();
  }
}
