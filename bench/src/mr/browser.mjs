/**
 * Local writes in Chromium (figure 1): write → value visible to the app, write → IndexedDB
 * commit (the receipt reaching `local`), write → visible in another tab of the same profile.
 *
 * A page bundling @helios/client (Vite, library build) is served with cross-origin isolation
 * headers (so performance.now() has 5 µs resolution rather than 100 µs) and opened twice in one
 * persistent Chromium profile (on-disk IndexedDB, not an incognito in-memory one); both tabs
 * connect to the us-east-1 relay of the five-relay cluster, as an app would. The writer tab
 * writes one LWW-Map key over and over; the other tab timestamps each value as it shows. Tab
 * clocks are compared with an offset measured over BroadcastChannel round trips (NTP-style).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { build } from 'vite';
import { CHROMIUM_FLAGS, CHROMIUM_PATH } from '../../../e2e/chromium.mjs';
import { runColdLoad } from './browser-cold.mjs';
import { logPhases, logTabHop } from './browser-phases.mjs';
import { writeRows } from './browser-rows.mjs';
import { startCluster } from './cluster.mjs';
import { cpuPressure, pressureRow, r2 } from './common.mjs';
import { relayErrors } from './convergence.mjs';

const PAGE = fileURLToPath(new URL('./browser/page.js', import.meta.url));

/** Bundles the page into `outDir`; returns the bundle's text. */
export async function bundle(/** @type {string} */ outDir) {
  await build({
    configFile: false,
    logLevel: 'warn',
    build: {
      lib: { entry: PAGE, formats: ['es'], fileName: () => 'page.js' },
      outDir,
      emptyOutDir: true,
      target: 'es2022',
      minify: true,
      reportCompressedSize: false,
    },
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  return readFileSync(join(outDir, 'page.js'), 'utf8');
}

/** Serves the page, cross-origin isolated. */
export function serve(/** @type {string} */ script) {
  const headers = {
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-embedder-policy': 'require-corp',
    'cross-origin-resource-policy': 'same-origin',
    'cache-control': 'no-store',
  };
  const server = createServer((req, res) => {
    if (req.url === '/page.js') {
      res.writeHead(200, { ...headers, 'content-type': 'text/javascript; charset=utf-8' });
      res.end(script);
    } else if (req.url === '/' || req.url?.startsWith('/?')) {
      res.writeHead(200, { ...headers, 'content-type': 'text/html; charset=utf-8' });
      res.end(
        '<!doctype html><title>helios bench</title><script type="module" src="/page.js"></script>',
      );
    } else {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
      resolve({ url: `http://127.0.0.1:${port}/`, close: () => server.close() });
    });
  });
}

/**
 * @typedef {{ seq: number, t0: number, visible: number, local: number, bare: number,
 *   phases: import('./browser-phases.mjs').Phases }} WriteRecord
 * @typedef {{ durability: 'relaxed' | 'strict', online: WriteRecord[], offline: WriteRecord[],
 *   otherTab: number[], missing: number, logAdds: number[],
 *   clock: { offsetMs: number, minRttMs: number, medianRttMs: number } }} ModeResult
 */

/**
 * One durability mode: both tabs open the client with it, the writer's writes alternate with
 * the bare baseline (of the same durability) write by write, online and offline in rounds.
 * @param {import('playwright-core').Page[]} pages writer, reader
 * @param {{ relay: string, durability: 'relaxed' | 'strict', writes: number, warmup: number,
 *   log: (s: string) => void }} o
 * @returns {Promise<ModeResult & { info: any }>}
 */
async function measureMode([writer, reader], { relay, durability, writes, warmup, log }) {
  const tabs = [writer, reader].map((p) => /** @type {import('playwright-core').Page} */ (p));
  const bench = (
    /** @type {import('playwright-core').Page} */ page,
    /** @type {string} */ fn,
    /** @type {unknown} */ arg,
  ) =>
    page.evaluate(
      ([f, a]) => /** @type {any} */ (globalThis).heliosBench[/** @type {string} */ (f)](a),
      /** @type {[string, any]} */ ([fn, arg]),
    );
  const [w, r] = /** @type {[import('playwright-core').Page, import('playwright-core').Page]} */ (
    tabs
  );
  const info = await bench(w, 'open', { relay, dbName: 'bench', role: 'writer', durability });
  await bench(r, 'open', { relay, dbName: 'bench', role: 'reader', durability });
  if (info.storage !== 'indexeddb') throw new Error(`the page uses ${info.storage}, not IndexedDB`);
  const clock = await bench(w, 'clockOffset', 200);
  log(
    `browser (${durability}): ${info.userAgent.match(/Chrome\/[\d.]+/)?.[0]}, isolated ${info.isolated}; tab clock offset ${r2(clock.offsetMs)} ms, BroadcastChannel round trip ${r2(clock.medianRttMs)} ms`,
  );
  const adds = () => Promise.all(tabs.map((p) => bench(p, 'idbAdds', undefined)));
  const both = (/** @type {boolean} */ on) =>
    Promise.all(tabs.map((p) => bench(p, 'setOnline', on)));
  // Online and offline writes alternate in rounds, so that load from elsewhere on the machine
  // hits both alike; the first `warmup` are dropped.
  const rounds = 4;
  const per = writes / rounds;
  /** @type {WriteRecord[]} */
  const out = await bench(w, 'write', { from: 1, n: warmup });
  /** @type {WriteRecord[]} */
  const offline = [];
  let seq = warmup + 1;
  /** Records each tab added to the profile's `log` and `outbox` stores during the online rounds. */
  const logAdds = [0, 0];
  for (let round = 0; round < rounds; round++) {
    const before = await adds();
    out.push(...(await bench(w, 'write', { from: seq, n: per })));
    seq += per;
    // Let the relay's copies of the round's last writes arrive before counting.
    await new Promise((res) => setTimeout(res, 300));
    const after = await adds();
    for (const i of [0, 1]) {
      // The writer's writes go to the outbox; the other tab would store relay copies in the log.
      const store = i === 0 ? 'outbox' : 'log';
      logAdds[i] =
        /** @type {number} */ (logAdds[i]) + (after[i]?.[store] ?? 0) - (before[i]?.[store] ?? 0);
    }
    // The same writes with both tabs offline: no acks (and no outbox deletes), no relay
    // copies, no notices: what the relay's traffic costs the profile's IndexedDB.
    await both(false);
    offline.push(...(await bench(w, 'write', { from: seq, n: per })));
    seq += per;
    await both(true);
  }
  /** @type {[number, number][]} */
  const arrivals = await bench(r, 'arrivals', undefined);
  const arrived = new Map(arrivals);
  /** @type {import('./browser-phases.mjs').TabRecord[]} */
  const records = await bench(r, 'tabRecords', undefined);
  const online = out.filter((x) => x.seq > warmup);
  /** @type {number[]} */
  const otherTab = [];
  let missing = 0;
  for (const x of online) {
    const t = arrived.get(x.seq);
    if (t === undefined) missing++;
    else otherTab.push(t - clock.offsetMs - x.t0);
  }
  for (const page of tabs) await bench(page, 'close', undefined);
  logPhases(log, `${durability}, online`, online);
  logPhases(log, `${durability}, offline`, offline);
  logTabHop(log, `${durability}, online`, online, records, clock.offsetMs);
  logTabHop(log, `${durability}, offline`, offline, records, clock.offsetMs);
  return { durability, online, offline, otherTab, missing, logAdds, clock, info };
}

/**
 * The local-write rows: both durability modes in two tabs of one persistent profile, connected
 * to the cluster's us-east-1 relay.
 * @param {{ url: string, profile: string, relay: string, writes: number, warmup: number,
 *   log: (s: string) => void }} o
 */
async function runWrites({ url, profile, relay, writes, warmup, log }) {
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_FLAGS,
  });
  try {
    const pages = [await context.newPage(), await context.newPage()];
    /** @type {string[]} */
    const pageErrors = [];
    for (const page of pages) {
      page.on('pageerror', (err) => pageErrors.push(err.message));
      await page.goto(url);
      await page.waitForFunction(() => 'heliosBench' in globalThis);
    }
    const relaxed = await measureMode(pages, { relay, durability: 'relaxed', writes, warmup, log });
    const strict = await measureMode(pages, { relay, durability: 'strict', writes, warmup, log });
    if (pageErrors.length > 0) log(`browser: page errors: ${pageErrors.slice(0, 3).join(' | ')}`);
    const chrome = relaxed.info.userAgent.match(/Chrome\/[\d.]+/)?.[0] ?? 'Chromium';
    const setup = `${relaxed.online.length} writes of one LWW-Map key per durability (after ${warmup} warm-up), one at a time, each followed by one bare IndexedDB transaction, 5–15 ms apart, in 4 rounds alternating with the same writes offline; headless ${chrome}, persistent on-disk profile, page cross-origin isolated: ${relaxed.info.isolated}`;
    return writeRows(relaxed, strict, writes, setup);
  } finally {
    await context.close().catch(() => {});
  }
}

/**
 * The suite's parts: `writes` (figure 1's local writes, with the relay cluster) and `cold` (the
 * cold load, which needs no relay); `--only=cold` runs that one alone.
 * @param {{ quick: boolean, log: (s: string) => void, only?: readonly string[] }} opts
 */
export async function runBrowser({ quick, log, only = ['writes', 'cold'] }) {
  const writes = quick ? 500 : 1000;
  const warmup = 50;
  const pressure0 = cpuPressure();
  const work = mkdtempSync(join(tmpdir(), 'helios-mr-browser-'));
  const script = await bundle(join(work, 'dist'));
  log(`browser: page bundled (${Math.round(script.length / 1024)} KiB)`);
  const cluster = only.includes('writes')
    ? await startCluster({ log: relayErrors(log) })
    : undefined;
  /** @type {{ url: string, close(): void } | undefined} */
  let server;
  try {
    server = /** @type {{ url: string, close(): void }} */ (await serve(script));
    const rows = [];
    if (cluster !== undefined) {
      const relay = cluster.url('us-east-1');
      const profile = join(work, 'profile');
      rows.push(...(await runWrites({ url: server.url, profile, relay, writes, warmup, log })));
    }
    if (only.includes('cold')) {
      rows.push(
        ...(await runColdLoad({
          url: server.url,
          profile: join(work, 'cold-profile'),
          quick,
          log,
        })),
      );
    }
    return [...rows, pressureRow(pressure0)];
  } finally {
    server?.close();
    await cluster?.stop();
    rmSync(work, { recursive: true, force: true });
  }
}
