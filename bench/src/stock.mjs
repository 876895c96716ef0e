/**
 * Stock benchmark (issue #15): buyers in five regions race for a Bounded Counter's units, whose
 * rights the regions' relays hold (docs/architecture.md §5.2), with a one-way delay on every
 * link between regions and one region cut off from the others for a while.
 *
 * Five relays in this process (memory stores, anonymous), peered as a full mesh through loopback
 * TCP proxies (test-kit's `TcpProxy`, so a region can be cut off) with `latencyMs` on each link;
 * a warehouse client per region adds its share of the stock and deposits its rights with its
 * relay; then every buyer (SDK clients, memory persistence) takes one unit at a time
 * (`handle.take()`) until its take is refused. Figures:
 * - `stockOversold`: units taken beyond the stock (goal 0), and the value every region ends at;
 * - `stockLocalDecisionPct`: of the rights requests the relays answered while more than 5 % of
 *   the stock was left, the share decided from the region's own rights, without asking a peer
 *   region (the relays' `helios_rights_requests_total{decided}`);
 * - `rightsTransferP99Ms`: afterwards, one take at a time in a region whose relay holds no rights
 *   of a fresh counter, so each waits for a peer region's transfer: p99 against the one-way delay.
 */
import { createClient } from '@helios/client';
import { BoundedCounter } from '@helios/core';
import { createRelay, MemoryStore } from '@helios/server';
import { TcpProxy } from '@helios/test-kit';
import { pino } from 'pino';
import { freePort } from './proc.mjs';
import { scrape } from './relay-metrics.mjs';
import { median, percentile, round2 } from './stats.mjs';

const REGIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-1', 'us-west-2', 'sa-east-1'];
const DOC = 'stock:last-units';

const FULL = {
  buyersPerRegion: 100,
  stock: 2000,
  oneWayMs: 50,
  cutAfterMs: 500,
  cutForMs: 3000,
  transfers: 60,
};
const QUICK = { ...FULL, buyersPerRegion: 20, stock: 400, transfers: 20 };

/** @typedef {import('./core.mjs').Result} Result */

const sleep = (/** @type {number} */ ms) => new Promise((r) => setTimeout(r, ms));

/** Resolves once `ok()` holds, checking every 20 ms; rejects after `ms`. */
async function until(/** @type {() => boolean} */ ok, ms = 30_000) {
  const deadline = performance.now() + ms;
  while (!ok()) {
    if (performance.now() > deadline) throw new Error('stock bench: timed out waiting');
    await sleep(20);
  }
}

/** Five relays peered through proxies; `cut(region)` / `heal()` cut a region off its peers. */
async function startRegions(/** @type {typeof FULL} */ cfg) {
  const ports = new Map();
  for (const region of REGIONS) ports.set(region, await freePort());
  /** @type {Map<string, TcpProxy[]>} the proxies of the links from or to each region */
  const linksOf = new Map(REGIONS.map((r) => [r, []]));
  /** @type {TcpProxy[]} */
  const proxies = [];
  const relays = [];
  for (const region of REGIONS) {
    const peers = [];
    for (const other of REGIONS.filter((r) => r !== region)) {
      const proxy = new TcpProxy(ports.get(other));
      await proxy.listen();
      proxies.push(proxy);
      linksOf.get(region)?.push(proxy);
      linksOf.get(other)?.push(proxy);
      peers.push({ region: other, url: proxy.url, latencyMs: cfg.oneWayMs });
    }
    const relay = createRelay({
      region,
      store: new MemoryStore({ region }),
      anonymous: true,
      logger: pino({ level: 'silent' }),
      peers,
      // Every buyer here is the one anonymous user: let it hold them all.
      limits: { maxConnectionsPerUser: 1_000 },
    });
    await relay.listen(ports.get(region));
    relays.push(relay);
  }
  return {
    url: (/** @type {string} */ region) => `http://127.0.0.1:${ports.get(region)}`,
    /** The relays' rights requests so far, by how they were decided. */
    decided: async () => {
      const all = { here: 0, 'after-ask': 0, none: 0 };
      for (const region of REGIONS) {
        const m = await scrape(`http://127.0.0.1:${ports.get(region)}`);
        for (const k of /** @type {(keyof typeof all)[]} */ (Object.keys(all))) {
          all[k] += m.get(`helios_rights_requests_total{decided="${k}"}`) ?? 0;
        }
      }
      return all;
    },
    cut: (/** @type {string} */ region) => {
      for (const p of linksOf.get(region) ?? []) p.cut();
    },
    heal: () => {
      for (const p of proxies) p.heal();
    },
    close: async () => {
      await Promise.all(relays.map((r) => r.close()));
      await Promise.all(proxies.map((p) => p.close()));
    },
  };
}

/** An SDK client of `region` holding the stock document, online and loaded. */
async function openStock(/** @type {string} */ url, /** @type {string} */ name) {
  const client = createClient({ relays: [url], persistence: 'memory', dbName: name });
  const stock = client.open(DOC, BoundedCounter);
  await until(() => client.status.connection === 'online');
  await stock.loaded;
  return { client, stock };
}

/**
 * One take at a time of a fresh counter whose single unit us-east-1's relay holds, by a buyer
 * in eu-west-1: its relay holds none and asks us-east-1 for it. Each take's time, in ms.
 * @param {typeof FULL} cfg
 * @param {(region: string) => string} url
 * @param {{ client: import('@helios/client').HeliosClient }[]} opened closed by the caller
 */
async function transferTimes(cfg, url, opened) {
  const owner = await openStock(url('us-east-1'), 'transfer-owner');
  const buyer = await openStock(url('eu-west-1'), 'transfer-buyer');
  opened.push(owner, buyer);
  /** @type {number[]} */
  const times = [];
  for (let i = 0; i < cfg.transfers; i++) {
    const doc = `stock:transfer-${i}`;
    const mine = owner.client.open(doc, BoundedCounter);
    const theirs = buyer.client.open(doc, BoundedCounter);
    await mine.loaded;
    await theirs.loaded;
    mine.increment(1);
    await (await mine.deposit(1)).wait('relay');
    await until(() => theirs.value === 1);
    const at = performance.now();
    const receipt = await theirs.take();
    if (receipt.error !== undefined)
      throw new Error(`transfer take refused: ${receipt.error.code}`);
    times.push(performance.now() - at);
    // Within a connection's rights-request budget (5 a second; the deposit asks too).
    await sleep(400);
  }
  return times;
}

/**
 * @param {{ quick: boolean, log: (s: string) => void }} opts
 * @returns {Promise<{ results: Result[], config: Record<string, unknown> }>}
 */
export async function runStock({ quick, log }) {
  const cfg = quick ? QUICK : FULL;
  const regions = await startRegions(cfg);
  /** @type {{ client: import('@helios/client').HeliosClient }[]} */
  const everyone = [];
  try {
    // Each region's warehouse adds its share and deposits the rights with its relay.
    const share = cfg.stock / REGIONS.length;
    const warehouses = [];
    for (const region of REGIONS) {
      const w = await openStock(regions.url(region), `warehouse-${region}`);
      everyone.push(w);
      warehouses.push(w);
      w.stock.increment(share);
      await (await w.stock.deposit(share)).wait('relay');
    }
    await until(() => warehouses.every((w) => w.stock.value === cfg.stock));
    log(`${cfg.stock} units deposited, ${share} with each region's relay`);

    const buyers = [];
    for (const region of REGIONS) {
      for (let i = 0; i < cfg.buyersPerRegion; i++) {
        const b = await openStock(regions.url(region), `buyer-${region}-${i}`);
        everyone.push(b);
        buyers.push({ region, ...b });
      }
    }
    log(`${buyers.length} buyers online; buying`);

    /** @type {{ ms: number, region: string }[]} */
    const sales = [];
    const decidedBefore = await regions.decided();
    /** @type {Promise<Awaited<ReturnType<typeof regions.decided>>> | undefined} */
    let decidedAt95;
    let refusedElse = 0;
    const started = performance.now();
    const cutRegion = REGIONS[REGIONS.length - 1] ?? '';
    const partition = (async () => {
      await sleep(cfg.cutAfterMs);
      regions.cut(cutRegion);
      log(`${cutRegion} cut off from its peers for ${cfg.cutForMs} ms`);
      await sleep(cfg.cutForMs);
      regions.heal();
      log(`${cutRegion} healed`);
    })();
    await Promise.all(
      buyers.map(async (b) => {
        for (;;) {
          const at = performance.now();
          const receipt = await b.stock.take();
          if (receipt.error === undefined) {
            sales.push({ ms: performance.now() - at, region: b.region });
            if (sales.length >= 0.95 * cfg.stock) decidedAt95 ??= regions.decided();
            continue;
          }
          if (receipt.error.code !== 'insufficient-rights') refusedElse++;
          // Refused: nothing reachable holds rights now. While a region is cut off, its buyers
          // try again once it is healed; otherwise the stock is sold out.
          if (performance.now() - started < cfg.cutAfterMs + cfg.cutForMs + 500) {
            await sleep(200);
            continue;
          }
          return;
        }
      }),
    );
    await partition;
    const buyingS = (performance.now() - started) / 1000;
    // Every client, in every region, ends at the stock less what was sold.
    const sold = sales.length;
    const settled = () => everyone.every((e) => e.stock.value === cfg.stock - sold);
    const saleEnded = performance.now();
    const converged = await until(settled, 60_000).then(
      () => true,
      () => false,
    );
    const values = new Map(everyone.map((e) => [e.stock.value, 0]));
    for (const e of everyone) values.set(e.stock.value, (values.get(e.stock.value) ?? 0) + 1);
    const finalValue = converged ? cfg.stock - sold : Number.NaN;
    const convergedMs = Math.round(performance.now() - saleEnded);
    if (!converged) {
      log(
        `NOT converged 60 s after the sale: clients' values ${JSON.stringify(Object.fromEntries(values))} (expected ${cfg.stock - sold})`,
      );
    }
    const oversold = Math.max(0, sold - cfg.stock);
    const at95 = await (decidedAt95 ?? regions.decided());
    const here = at95.here - decidedBefore.here;
    const asked = at95['after-ask'] - decidedBefore['after-ask'];
    const localPct = (100 * here) / Math.max(1, here + asked);
    const allMs = sales.map((s) => s.ms);
    log(
      `sold ${sold} of ${cfg.stock} in ${buyingS.toFixed(1)} s; every client ends at ${finalValue}, ${convergedMs} ms after the last sale; ` +
        `take p50 ${round2(median(allMs))} ms, p99 ${round2(percentile(allMs, 99))} ms (${buyers.length} SDK clients in this process); ` +
        `until 95 % sold, ${here} requests decided from the region's own rights, ${asked} after asking a peer; ` +
        `${refusedElse} refused for another reason`,
    );
    // Measured only where the regions still replicate (otherwise it would wait for ever).
    const transfers = converged ? await transferTimes(cfg, regions.url, everyone) : [];
    const transferP99 = transfers.length > 0 ? percentile(transfers, 99) : Number.NaN;
    log(
      `rights transfers between regions: p50 ${round2(median(transfers))} ms, p99 ${round2(transferP99)} ms (one-way ${cfg.oneWayMs} ms)`,
    );
    const setup = `5 regions (${REGIONS.join(', ')}), ${cfg.buyersPerRegion} buyers each (SDK clients), one unit per take, ${cfg.stock} units deposited evenly with the relays; one-way delay ${cfg.oneWayMs} ms on every link between regions; ${cutRegion} cut off from every peer ${cfg.cutAfterMs}–${cfg.cutAfterMs + cfg.cutForMs} ms into the sale`;
    return {
      results: [
        {
          metric: 'stockOversold',
          value: oversold,
          unit: 'units',
          better: 'lower',
          goal: '= 0',
          goalMet: converged && oversold === 0 && refusedElse === 0,
          note: `${sold} units sold of ${cfg.stock}; ${converged ? `every client ends at ${finalValue}, ${convergedMs} ms after the last sale` : `NOT converged within 60 s: clients' values ${JSON.stringify(Object.fromEntries(values))}`}; ${setup}`,
        },
        {
          metric: 'stockLocalDecisionPct',
          value: round2(localPct),
          unit: '%',
          better: 'higher',
          goal: '>= 95',
          goalMet: localPct >= 95,
          note: `of the ${here + asked} rights requests the relays granted until 95 % of the stock was sold, ${here} were decided from the region's own rights and ${asked} waited for a peer region's (the relays' helios_rights_requests_total); take p50 ${round2(median(allMs))} ms, p99 ${round2(percentile(allMs, 99))} ms with all ${buyers.length} buyers' SDK clients in one process`,
        },
        {
          metric: 'rightsTransferP99Ms',
          value: round2(transferP99),
          unit: 'ms',
          better: 'lower',
          note: `${transfers.length} takes one at a time, each of a fresh counter whose units only another region's relay holds (us-east-1's, taken in eu-west-1): the take waits for the peer's transfer; p50 ${round2(median(transfers))} ms; against an injected one-way delay of ${cfg.oneWayMs} ms (p99 ${round2(transferP99 / cfg.oneWayMs)}× it)`,
        },
      ],
      config: {
        ...cfg,
        regions: REGIONS,
        cutRegion,
        sold,
        converged,
        convergedMs,
        finalValue,
        buyingS,
      },
    };
  } finally {
    await Promise.all(everyone.map((e) => e.client.close()));
    await regions.close();
  }
}
