/**
 * The cold load of a 100k-entry document in Chromium (`coldLoad100kChromiumMs`): a page of a
 * fresh profile writes the document through the client (see browser/cold-load.js); then, each
 * run, Chromium is started anew on that profile (no process, no IndexedDB connection, no cache of
 * the last run's left in the browser; the operating system's file cache stays warm) and a new
 * page times `createClient` → the document's first value.
 */
import { chromium } from 'playwright-core';
import { CHROMIUM_FLAGS, CHROMIUM_PATH } from '../../../e2e/chromium.mjs';
import { percentile } from '../stats.mjs';
import { r2 } from './common.mjs';

const ENTRIES = 100_000;
const DB = 'cold';
const DOC = 'big';

/**
 * @param {{ url: string, profile: string, quick: boolean, log: (s: string) => void }} o
 */
export async function runColdLoad({ url, profile, quick, log }) {
  /** Runs `fn` in a page of a newly started Chromium on `profile`, then stops it. */
  const inFreshBrowser = async (/** @type {string} */ fn, /** @type {unknown} */ arg) => {
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: CHROMIUM_FLAGS,
    });
    try {
      const page = await context.newPage();
      await page.goto(url);
      await page.waitForFunction(() => 'heliosBench' in globalThis);
      return await page.evaluate(
        ([f, a]) => /** @type {any} */ (globalThis).heliosBench[/** @type {string} */ (f)](a),
        /** @type {[string, any]} */ ([fn, arg]),
      );
    } finally {
      await context.close();
    }
  };
  const seeded = await inFreshBrowser('seedCold', { dbName: DB, doc: DOC, n: ENTRIES });
  log(
    `browser cold load: ${ENTRIES} entries written through the client in ${Math.round(seeded.seedMs)} ms`,
  );
  const runs = quick ? 5 : 9;
  /** @type {{ first: number, loaded: number, ready: number, value: unknown, size: number, read: number, decode: number, bytes: number }[]} */
  const out = [];
  /** @type {{ opened: number, read: number, decoded: number }[]} */
  const bare = [];
  for (let i = 0; i < runs; i++) {
    const r = await inFreshBrowser('coldOpen', { dbName: DB, doc: DOC, key: `k${ENTRIES / 2}` });
    if (r.value !== ENTRIES / 2 || r.size !== ENTRIES + 1)
      throw new Error(`cold open read ${r.value} of ${r.size} entries`);
    out.push(r);
    // The floor, in a browser of its own (the first open of a profile is the cold one).
    const b = await inFreshBrowser('bareColdOpen', {
      dbName: DB,
      doc: DOC,
      key: `k${ENTRIES / 2}`,
    });
    bare.push(b);
    log(
      `  cold open ${i + 1}: first value ${r2(r.first)} ms (slot held ${r2(r.ready)}, loaded ${r2(r.loaded)}); then, alone: snapshot (${r.bytes} B) read ${r2(r.read)} ms, decoded ${r2(r.decode)} ms; bare, in the next fresh browser: opened ${r2(b.opened)}, read ${r2(b.read)}, decoded ${r2(b.decoded)} ms`,
    );
  }
  const bareAt = (/** @type {'opened' | 'read' | 'decoded'} */ k) =>
    r2(
      percentile(
        bare.map((b) => b[k]),
        50,
      ),
    );
  const first = out.map((r) => r.first);
  const pick = (
    /** @type {'first' | 'loaded' | 'ready' | 'read' | 'decode'} */ k,
    /** @type {number} */ p,
  ) =>
    r2(
      percentile(
        out.map((r) => r[k]),
        p,
      ),
    );
  return [
    {
      metric: 'coldLoad100kChromiumMs',
      value: pick('first', 50),
      unit: 'ms',
      better: 'lower',
      goal: '<= 50',
      goalMet: percentile(first, 50) <= 50,
      note: `median of ${runs} cold opens (p90 ${pick('first', 90)}, max ${pick('first', 100)} ms): createClient (offline, IndexedDB) → lwwMap('${DOC}').loaded → get('k${ENTRIES / 2}') in a new page of a newly started Chromium on a profile where a page wrote the ${ENTRIES}-entry LWW-Map through the client (one mutation setting every key, each with a dot and a timestamp of its own, pushed to a stand-in relay in the page until acknowledged, then folded by the client's compaction into its snapshot of ${out[0]?.bytes} bytes (format 2, in blocks of 1,024 keys) when a second client wrote one key more, which stays in the log beside it). Medians: storage open and replica slot held ${pick('ready', 50)} ms, document loaded ${pick('loaded', 50)} ms (the read of the snapshot and its decoding, overlapping the slot's claim); timed alone after each open, reading the snapshot from IndexedDB took ${pick('read', 50)} ms and decoding it as stored bytes (checksum, index, the key's block) ${pick('decode', 50)} ms`,
    },
    {
      metric: 'coldLoadBare100kChromiumMs',
      value: bareAt('decoded'),
      unit: 'ms',
      better: 'lower',
      note: `the floor without the client, alternating with the cold opens above, each in a newly started Chromium on the same profile: indexedDB.open → the snapshot record read in one transaction → LWWMap.decodeStored (its checksum over all bytes, its index) → get of the key (its block of 1,024 keys decoded and checked). Medians: database open ${bareAt('opened')} ms, snapshot read ${bareAt('read')} ms, first value ${bareAt('decoded')} ms`,
    },
  ];
}
