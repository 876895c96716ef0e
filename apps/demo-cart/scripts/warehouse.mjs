// The demo's warehouse: a server-side writer (as in examples/11-server-writer.mjs) that puts each
// product's stock on the shelves of the five regions. For each region it connects to that
// region's relay, increments each product's stock counter (a Bounded Counter, floor 0) and
// deposits the rights with the relay, which hands them to the region's shoppers: each region
// then sells its share without asking another region (docs/architecture.md §5.2).
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createClient } from '@helios/client';
import { BoundedCounter } from '@helios/core';

/** The stock document of a product (the demo's src/documents.ts names it the same way). */
export function stockDoc(sku) {
  return `demo:stock:${sku}`;
}

/** The products of the demo's catalog (src/products.json). */
export const SKUS = JSON.parse(
  readFileSync(new URL('../src/products.json', import.meta.url), 'utf8'),
).map((product) => product.sku);

/** What `npm start` puts in stock: this many units of every product with each region. */
export const UNITS_PER_REGION = 10;

/**
 * The demo's opening stock: {@link UNITS_PER_REGION} of each product in each of `regions`.
 * @param {readonly string[]} regions
 * @returns {Record<string, Record<string, number>>} units by region, then product
 */
export function openingStock(regions) {
  return Object.fromEntries(
    regions.map((region) => [
      region,
      Object.fromEntries(SKUS.map((sku) => [sku, UNITS_PER_REGION])),
    ]),
  );
}

/** How long a region's relay may take to accept the warehouse and commit its stock (ms). */
const SEED_TIMEOUT_MS = 20_000;

/**
 * Adds stock and deposits it with the regions' relays: `stock[region][sku]` units of each
 * product with `region`'s relay, whose URL `urls[region]` gives. Resolves once every relay has
 * durably committed its deposits. The warehouse is one replica per region, with no local storage:
 * what it added is the relays' from then on.
 * @param {{ urls: Record<string, string>, stock: Record<string, Record<string, number>>,
 *   onRegion?: (region: string) => void }} options
 *   `onRegion` is called once a region's deposits are committed.
 */
export async function seedStock({ urls, stock, onRegion = () => {} }) {
  await Promise.all(
    Object.entries(stock).map(async ([region, units]) => {
      const url = urls[region];
      if (url === undefined) throw new Error(`warehouse: no relay URL for ${region}`);
      await seedRegion(region, url, units);
      onRegion(region);
    }),
  );
}

/** One region's share: increments, then deposits with its relay, one product after another. */
async function seedRegion(region, url, units) {
  const client = createClient({
    relays: [url],
    persistence: 'memory',
    // A new replica each time: a name used before would bring back, in this process, the
    // memory of a warehouse run against other relays (a test's earlier cluster).
    dbName: `demo-warehouse-${region}-${randomUUID()}`,
    tabSync: false,
  });
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no answer within ${SEED_TIMEOUT_MS} ms`)),
      SEED_TIMEOUT_MS,
    );
  });
  try {
    await Promise.race([stockRegion(client, units), timeout]);
  } catch (err) {
    throw new Error(`warehouse: stocking ${region} failed: ${err?.message ?? err}`);
  } finally {
    clearTimeout(timer);
    await client.close();
  }
}

async function stockRegion(client, units) {
  await online(client);
  const receipts = [];
  for (const [sku, amount] of Object.entries(units)) {
    if (amount <= 0) continue;
    const stock = client.open(stockDoc(sku), BoundedCounter);
    await stock.loaded;
    stock.increment(amount);
    // deposit() learns the relay's replica with a rights request: one per product, within a
    // connection's budget (ten at once, five a second; docs/protocol.md §2.5).
    receipts.push(await stock.deposit(amount));
  }
  await Promise.all(receipts.map((receipt) => receipt.wait('relay')));
}

function online(client) {
  return new Promise((resolve) => {
    const subscription = client.status$.subscribe((status) => {
      if (status.connection !== 'online') return;
      queueMicrotask(() => subscription.unsubscribe());
      resolve();
    });
  });
}

/** The file that records which regions of a data directory the warehouse has stocked. */
export const SEEDED_FILE = 'stock-seeded.json';

/**
 * Stocks the regions of `dataDir` that were never stocked: `npm start` calls it on every start,
 * and a restart (the data is kept) adds nothing to counters already written. Each region is
 * recorded in `dataDir/stock-seeded.json` once its relay has committed its deposits, so a start
 * interrupted half way stocks only the regions it had not finished. Returns the regions stocked.
 * @param {{ dataDir: string, urls: Record<string, string>,
 *   stock: Record<string, Record<string, number>> }} options
 * @returns {Promise<string[]>}
 */
export async function seedStockOnce({ dataDir, urls, stock }) {
  const file = join(dataDir, SEEDED_FILE);
  /** @type {string[]} */
  const done = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')).regions : [];
  const todo = Object.fromEntries(Object.entries(stock).filter(([r]) => !done.includes(r)));
  await seedStock({
    urls,
    stock: todo,
    onRegion: (region) => {
      done.push(region);
      writeFileSync(file, `${JSON.stringify({ regions: done }, null, 2)}\n`);
    },
  });
  return Object.keys(todo);
}
