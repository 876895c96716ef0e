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
import { percentile } from '../stats.mjs';
import { startCluster } from './cluster.mjs';
import { cpuPressure, pressureRow, r2 } from './common.mjs';
import { relayErrors } from './convergence.mjs';

const PAGE = fileURLToPath(new URL('./browser/page.js', import.meta.url));

/** Bundles the page into `outDir`; returns the bundle's text. */
async function bundle(/** @type {string} */ outDir) {
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
function serve(/** @type {string} */ script) {
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
 * @param {{ quick: boolean, log: (s: string) => void }} opts
 */
export async function runBrowser({ quick, log }) {
  const writes = quick ? 500 : 1000;
  const warmup = 50;
  const pressure0 = cpuPressure();
  const work = mkdtempSync(join(tmpdir(), 'helios-mr-browser-'));
  const script = await bundle(join(work, 'dist'));
  log(`browser: page bundled (${Math.round(script.length / 1024)} KiB)`);
  const cluster = await startCluster({ log: relayErrors(log) });
  /** @type {{ url: string, close(): void } | undefined} */
  let server;
  /** @type {import('playwright-core').BrowserContext | undefined} */
  let context;
  try {
    server = /** @type {{ url: string, close(): void }} */ (await serve(script));
    context = await chromium.launchPersistentContext(join(work, 'profile'), {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: CHROMIUM_FLAGS,
    });
    const [writer, reader] = [await context.newPage(), await context.newPage()];
    /** @type {string[]} */
    const pageErrors = [];
    for (const page of [writer, reader]) {
      page.on('pageerror', (err) => pageErrors.push(err.message));
      await page.goto(/** @type {string} */ (server?.url));
      await page.waitForFunction(() => 'heliosBench' in globalThis);
    }
    const relay = cluster.url('us-east-1');
    const info = await writer.evaluate((o) => /** @type {any} */ (globalThis).heliosBench.open(o), {
      relay,
      dbName: 'bench',
      role: 'writer',
    });
    await reader.evaluate((o) => /** @type {any} */ (globalThis).heliosBench.open(o), {
      relay,
      dbName: 'bench',
      role: 'reader',
    });
    if (info.storage !== 'indexeddb')
      throw new Error(`the page uses ${info.storage}, not IndexedDB`);
    const clock = await writer.evaluate(() =>
      /** @type {any} */ (globalThis).heliosBench.clockOffset(200),
    );
    log(
      `browser: ${info.userAgent.match(/Chrome\/[\d.]+/)?.[0]}, isolated ${info.isolated}; tab clock offset ${r2(clock.offsetMs)} ms, BroadcastChannel round trip ${r2(clock.medianRttMs)} ms`,
    );
    const adds = async () =>
      Promise.all(
        [writer, reader].map((p) =>
          p.evaluate(() => /** @type {any} */ (globalThis).heliosBench.idbAdds()),
        ),
      );
    const call = (/** @type {string} */ fn, /** @type {unknown} */ arg) =>
      writer.evaluate(
        ([f, a]) => /** @type {any} */ (globalThis).heliosBench[/** @type {string} */ (f)](a),
        /** @type {[string, any]} */ ([fn, arg]),
      );
    // Helios writes and the bare IndexedDB baseline alternate in rounds, so that load from
    // elsewhere on the machine hits both alike; the first `warmup` of each are dropped.
    const rounds = 4;
    const per = writes / rounds;
    /** @type {{ seq: number, t0: number, visible: number, local: number }[]} */
    const out = await call('write', { from: 1, n: warmup });
    await call('bareIdb', warmup);
    /** @type {number[]} */
    const bare = [];
    /** @type {typeof out} */
    const offline = [];
    let seq = warmup + 1;
    const both = (/** @type {boolean} */ on) =>
      Promise.all(
        [writer, reader].map((p) =>
          p.evaluate((o) => /** @type {any} */ (globalThis).heliosBench.setOnline(o), on),
        ),
      );
    /** Records each tab added to the profile's `log` store during the online rounds. */
    const logAdds = [0, 0];
    for (let round = 0; round < rounds; round++) {
      const before = await adds();
      out.push(...(await call('write', { from: seq, n: per })));
      seq += per;
      // Let the relay's copies of the round's last writes arrive before counting.
      await new Promise((r) => setTimeout(r, 300));
      const after = await adds();
      for (const i of [0, 1]) {
        logAdds[i] =
          /** @type {number} */ (logAdds[i]) + (after[i]?.log ?? 0) - (before[i]?.log ?? 0);
      }
      bare.push(...(await call('bareIdb', per)));
      // The same writes with both tabs offline: no acks (and no outbox deletes), no relay
      // copies, no notices: what the relay's traffic costs the profile's IndexedDB.
      await both(false);
      offline.push(...(await call('write', { from: seq, n: per })));
      seq += per;
      await both(true);
    }
    /** @type {[number, number][]} */
    const arrivals = await reader.evaluate(() =>
      /** @type {any} */ (globalThis).heliosBench.arrivals(),
    );
    const arrived = new Map(arrivals);
    const measured = out.filter((r) => r.seq > warmup);
    const offlineLocal = offline.map((r) => r.local);
    const visible = measured.map((r) => r.visible);
    const local = measured.map((r) => r.local);
    /** @type {number[]} */
    const otherTab = [];
    let missing = 0;
    for (const r of measured) {
      const t = arrived.get(r.seq);
      if (t === undefined) missing++;
      else otherTab.push(t - clock.offsetMs - r.t0);
    }
    for (const page of [writer, reader]) {
      await page.evaluate(() => /** @type {any} */ (globalThis).heliosBench.close());
    }
    if (pageErrors.length > 0) log(`browser: page errors: ${pageErrors.slice(0, 3).join(' | ')}`);

    const chrome = info.userAgent.match(/Chrome\/[\d.]+/)?.[0] ?? 'Chromium';
    const setup = `${measured.length} writes of one LWW-Map key (after ${warmup} warm-up), one at a time, 5–15 ms apart, in ${rounds} rounds alternating with the bare IndexedDB baseline and the same writes offline; headless ${chrome}, persistent on-disk profile, page cross-origin isolated: ${info.isolated}`;
    const row = (
      /** @type {string} */ metric,
      /** @type {number[]} */ xs,
      /** @type {number} */ p,
      /** @type {string} */ note,
      /** @type {number} [goal] */ goal = undefined,
    ) => ({
      metric,
      value: Math.round(percentile(xs, p) * 1000) / 1000,
      unit: 'ms',
      better: 'lower',
      ...(goal === undefined ? {} : { goal: `<= ${goal}`, goalMet: percentile(xs, p) <= goal }),
      note,
    });
    return [
      row(
        'localWriteVisibleP50Ms',
        visible,
        50,
        `handle.set → the handle's listener sees the value (synchronous, in memory); ${setup}`,
      ),
      row('localWriteVisibleP99Ms', visible, 99, 'handle.set → the listener sees the value'),
      row(
        'localCommitP50Ms',
        local,
        50,
        `handle.set → receipt \`local\`: the IndexedDB transaction (log + outbox) completed. Records added to the profile's \`log\` store during the ${writes} online writes: ${logAdds[0]} by the writer tab, ${logAdds[1]} by the other tab (the relay's copies of writes it already had over BroadcastChannel)`,
      ),
      row(
        'localCommitP99Ms',
        local,
        99,
        'handle.set → receipt `local` (IndexedDB transaction complete, default durability)',
        2,
      ),
      row(
        'otherTabP50Ms',
        otherTab,
        50,
        `handle.set → the value shows in the other tab (posted over BroadcastChannel after the commit, or from the relay, whichever is first); tab clocks aligned with an offset of ${r2(clock.offsetMs)} ms (fastest of 200 BroadcastChannel round trips, ${r2(clock.minRttMs)} ms; median round trip ${r2(clock.medianRttMs)} ms)${missing > 0 ? `; ${missing} writes never showed` : ''}`,
      ),
      row('otherTabP99Ms', otherTab, 99, 'handle.set → the value shows in the other tab', 5),
      row(
        'localCommitOfflineP50Ms',
        offlineLocal,
        50,
        `the same write → receipt \`local\` with both tabs offline (${offline.length} writes in the same rounds): no acks, hence no outbox deletes, no relay copies or notices in the profile's database meanwhile`,
      ),
      row('localCommitOfflineP99Ms', offlineLocal, 99, 'the same, both tabs offline'),
      row(
        'bareIdbCommitP50Ms',
        bare,
        50,
        'baseline without Helios, same page and pacing: one IndexedDB readwrite transaction adding a 40-byte record → complete',
      ),
      row(
        'bareIdbCommitP99Ms',
        bare,
        99,
        'baseline without Helios: one bare IndexedDB transaction → complete',
      ),
      pressureRow(pressure0),
    ];
  } finally {
    await context?.close().catch(() => {});
    server?.close();
    await cluster.stop();
    rmSync(work, { recursive: true, force: true });
  }
}
