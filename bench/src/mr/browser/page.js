/**
 * The browser benchmark page, bundled by Vite with @helios/client (IndexedDB persistence, tab
 * sync over BroadcastChannel, a relay connection). Two tabs of one profile open it: the writer
 * times each write to its own listener and to the IndexedDB commit (receipt level `local`), the
 * other tab timestamps the moment each write shows there.
 */
import { createClient } from '@helios/client';
import { bareColdOpen, coldOpen, seedCold } from './cold-load.js';
import { phasesOf, probeDone, probeWrite } from './commit-probe.js';
import { probeShown, tabRecords } from './tab-probe.js';

/** Absolute high-resolution time, comparable across tabs up to a clock offset (measured). */
const abs = () => performance.timeOrigin + performance.now();

/**
 * IndexedDB records added by this tab, per object store: what each write costs the profile's
 * database (counted around the measured writes).
 * @type {Record<string, number>}
 */
const idbAdds = {};
const idbAdd = IDBObjectStore.prototype.add;
IDBObjectStore.prototype.add = function (/** @type {any[]} */ ...args) {
  idbAdds[this.name] = (idbAdds[this.name] ?? 0) + 1;
  return idbAdd.apply(this, /** @type {any} */ (args));
};

/** @type {import('@helios/client').HeliosClient | undefined} */
let client;
/** @type {import('@helios/client').LWWMapHandle<number> | undefined} */
let map;
/** Arrival of each value in this tab (the other tab's role). @type {[number, number][]} */
const arrivals = [];
const acks = new BroadcastChannel('bench-ack');
/** The durability of the client's commits, which the bare baseline uses too. */
let durability = /** @type {'relaxed' | 'strict'} */ ('relaxed');
/** The bare baseline's database. @type {Promise<IDBDatabase> | undefined} */
let bareDb;
const clock = new BroadcastChannel('bench-clock');

const pause = () => new Promise((r) => setTimeout(r, 5 + Math.random() * 10));

/**
 * The floor: one bare IndexedDB readwrite transaction adding one 40-byte record (the size of a
 * delta), with the client's durability, committed at once, from `transaction()` to `complete`;
 * in ms.
 */
async function bareCommit() {
  bareDb ??= new Promise((resolve, reject) => {
    const req = indexedDB.open('bare-bench', 1);
    req.onupgradeneeded = () => req.result.createObjectStore('bare', { autoIncrement: true });
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  const db = await bareDb;
  const start = performance.now();
  await new Promise((resolve, reject) => {
    const tx = db.transaction('bare', 'readwrite', { durability });
    tx.objectStore('bare').add({ doc: 'bench', delta: new Uint8Array(40) });
    tx.commit(); // as the client does: no wait for the request's result before committing
    tx.oncomplete = resolve;
    tx.onerror = () => reject(tx.error);
  });
  return performance.now() - start;
}

const bench = {
  /** Opens the client and the benchmark document; the reader starts recording. */
  async open(
    /** @type {{ relay: string, dbName: string, role: 'writer' | 'reader', durability: 'relaxed' | 'strict' }} */ o,
  ) {
    durability = o.durability;
    client = createClient({ relays: [o.relay], dbName: o.dbName, localDurability: durability });
    await client.ready;
    map = /** @type {import('@helios/client').LWWMapHandle<number>} */ (client.lwwMap('bench'));
    await map.loaded;
    if (o.role === 'reader') {
      let last = -1;
      map.subscribe(() => {
        const v = /** @type {number | undefined} */ (map?.get('k'));
        if (typeof v === 'number' && v > last) {
          const t = abs();
          probeShown(v, t);
          for (let s = last + 1; s <= v; s++) arrivals.push([s, t]);
          last = v;
          acks.postMessage(v);
        }
      });
      // The clock probe: answer at once with this tab's time.
      clock.onmessage = (e) => clock.postMessage({ k: e.data.k, t: abs() });
    }
    return {
      storage: client.status.storage.kind,
      isolated: globalThis.crossOriginIsolated === true,
      userAgent: navigator.userAgent,
    };
  },

  /**
   * NTP-style offset of the reader's clock against this tab's, from the fastest of `n` round
   * trips over a bare BroadcastChannel (whose one-way time is reported too).
   */
  async clockOffset(n = 200) {
    let best = { rtt: Number.POSITIVE_INFINITY, offset: 0 };
    /** @type {number[]} */
    const rtts = [];
    for (let k = 0; k < n; k++) {
      const t0 = abs();
      const reply = await new Promise((resolve) => {
        clock.onmessage = (e) => {
          if (e.data.k === k) resolve(e.data);
        };
        clock.postMessage({ k });
      });
      const t1 = abs();
      const rtt = t1 - t0;
      rtts.push(rtt);
      if (rtt < best.rtt)
        best = { rtt, offset: /** @type {{ t: number }} */ (reply).t - (t0 + t1) / 2 };
      await new Promise((r) => setTimeout(r, 2));
    }
    clock.onmessage = null;
    rtts.sort((a, b) => a - b);
    return { offsetMs: best.offset, minRttMs: best.rtt, medianRttMs: rtts[rtts.length >> 1] };
  },

  /**
   * `n` writes, each after the previous one showed in the other tab (or 2 s passed), with a
   * random 5–15 ms pause: write → listener, write → IndexedDB commit, and the write's
   * absolute start time (for the other tab's arrival). After each, with the same pause, one
   * bare IndexedDB transaction (the floor, see {@link bareCommit}): the two alternate write by
   * write, so whatever else loads the machine meanwhile (the relays replicating the write) hits
   * both alike.
   */
  async write(/** @type {{ from: number, n: number }} */ o) {
    const m = /** @type {import('@helios/client').LWWMapHandle<number>} */ (map);
    /** @type {{ seq: number, t0: number, visible: number, local: number, bare: number, phases: ReturnType<typeof phasesOf> }[]} */
    const out = [];
    for (let seq = o.from; seq < o.from + o.n; seq++) {
      const rec = { seq, t0: 0, visible: Number.NaN, local: Number.NaN };
      const shownThere = new Promise((resolve) => {
        const timer = setTimeout(resolve, 2000);
        acks.onmessage = (e) => {
          if (e.data >= seq) {
            clearTimeout(timer);
            resolve(undefined);
          }
        };
      });
      const unsubscribe = m.subscribe(() => {
        if (Number.isNaN(rec.visible) && m.get('k') === seq) rec.visible = performance.now();
      });
      rec.t0 = abs();
      const start = performance.now();
      const probe = probeWrite(start);
      const receipt = m.set('k', seq);
      probe.returned = performance.now();
      const committed = new Promise((resolve) => {
        const off = receipt.subscribe((level) => {
          if (Number.isNaN(rec.local) && level !== 'pending') {
            rec.local = performance.now();
            resolve(undefined);
          }
        });
        if (receipt.level !== 'pending') {
          off();
          rec.local = performance.now();
          resolve(undefined);
        }
      });
      unsubscribe();
      await committed;
      await shownThere;
      probeDone();
      await pause();
      out.push({
        seq,
        t0: rec.t0,
        visible: rec.visible - start,
        local: rec.local - start,
        bare: await bareCommit(),
        phases: phasesOf(probe, rec.local),
      });
      await pause();
    }
    acks.onmessage = null;
    return out;
  },

  /**
   * Connects or disconnects this tab's client. Back online, resolves once the outbox is empty,
   * so the writes made offline do not overlap what is measured next.
   */
  async setOnline(/** @type {boolean} */ on) {
    const c = /** @type {import('@helios/client').HeliosClient} */ (client);
    c.setOnline(on);
    if (on) await c.flush('relay');
  },

  seedCold,

  coldOpen,
  bareColdOpen,

  arrivals: () => arrivals.slice(),

  tabRecords,

  idbAdds: () => ({ ...idbAdds }),

  async close() {
    await client?.close();
    (await bareDb)?.close();
    bareDb = undefined;
  },
};

Object.assign(globalThis, { heliosBench: bench });
