import { type Browser, expect, test } from '@playwright/test';
import { Cluster, REGIONS } from './cluster.js';
import { Shop } from './shop.js';

// Stock on the product cards is a Bounded Counter whose rights the regions' relays hold: a unit
// goes in the cart only once a tab has taken it (apps/demo-cart/src/use-take-stock.ts).
let cluster: Cluster;
test.beforeAll(async () => {
  // No opening stock: each test stocks its own product, as much as it needs and where.
  cluster = await Cluster.start({ stock: {} });
});
test.afterAll(async () => {
  await cluster?.stop();
});

/** A shop in a browser context of its own (another shopper), home region `region`. */
async function shopper(browser: Browser, region: string): Promise<Shop> {
  return Shop.open(await browser.newContext(), cluster.url(region));
}

test('five regions race for the last 3 units: exactly 3 are sold, the others see "Sold out"', async ({
  browser,
}) => {
  const sku = 'grinder-burr';
  // The last three units, one with each of three regions' relays.
  await cluster.stock({
    'us-east-1': { [sku]: 1 },
    'eu-west-1': { [sku]: 1 },
    'ap-southeast-1': { [sku]: 1 },
  });
  const shops = await Promise.all(REGIONS.map((region) => shopper(browser, region)));
  for (const shop of shops) await expect(shop.stock(sku)).toHaveText('3 in stock');

  await Promise.all(shops.map((shop) => shop.add(sku)));

  for (const shop of shops) {
    await expect(shop.stock(sku)).toHaveText('Sold out');
    await expect(shop.addButton(sku)).toBeDisabled();
    // The cart is the one demo user's, shared by all five: the three units sold are in it.
    await expect(shop.qty(sku)).toHaveText('3');
  }
  // The two shoppers left out are told so once their take is refused, which may come after
  // their card already reads "Sold out" (the take waits for the peers' answers first).
  const refusedCount = async () => {
    const refused = await Promise.all(shops.map((shop) => shop.refused(sku).count()));
    return refused.reduce((a, b) => a + b, 0);
  };
  await expect.poll(refusedCount, { timeout: 15_000 }).toBe(2);
  for (const shop of shops) {
    if (await shop.refused(sku).count()) {
      await expect(shop.refused(sku)).toContainText('Sold out');
    }
  }
  await Promise.all(shops.map((shop) => shop.page.context().close()));
});

test('a region cut off from its peers sells only the stock its relay held; healed, all agree', async ({
  browser,
}) => {
  const sku = 'kettle-gooseneck';
  const cutOff = 'sa-east-1';
  // Two units with the region that will be cut off, five with another.
  await cluster.stock({ [cutOff]: { [sku]: 2 }, 'us-east-1': { [sku]: 5 } });
  const far = await shopper(browser, cutOff);
  const near = await shopper(browser, 'us-east-1');
  await expect(far.stock(sku)).toHaveText('7 in stock');
  await expect(near.stock(sku)).toHaveText('7 in stock');

  cluster.cut(cutOff);
  // Four tries in the cut-off region: its relay held two, and it cannot ask a peer for more.
  for (let i = 0; i < 4; i++) await far.buy(sku);
  await expect(far.qty(sku)).toHaveText('2');
  await expect(far.refused(sku)).toContainText('None left in your region');
  await expect(far.stock(sku)).toHaveText('5 in stock');
  // The other regions sell on, from their own rights.
  await near.buy(sku);
  await expect(near.qty(sku)).toHaveText('1');
  await expect(near.stock(sku)).toHaveText('6 in stock');

  cluster.heal();
  // Healed: both regions count the same stock and the same cart, and nothing was oversold.
  for (const shop of [far, near]) {
    await expect(shop.stock(sku)).toHaveText('4 in stock', { timeout: 30_000 });
    await expect(shop.qty(sku)).toHaveText('3', { timeout: 30_000 });
  }
  await far.page.context().close();
  await near.page.context().close();
});

test('units that leave the cart go back in stock, once, whichever shopper removed them', async ({
  browser,
}) => {
  const sku = 'mug-stoneware';
  await cluster.stock({ 'us-east-1': { [sku]: 5 } });
  const a = await shopper(browser, 'us-east-1');
  const b = await shopper(browser, 'eu-west-1');
  await a.buy(sku);
  await a.buy(sku);
  await a.buy(sku);
  for (const shop of [a, b]) {
    await expect(shop.stock(sku)).toHaveText('2 in stock');
    await expect(shop.qty(sku)).toHaveText('3');
  }
  // b takes one away, and then both b and a remove the line at the same time, offline: a's
  // tab, which added the units, gives each back once.
  await b.less(sku);
  await expect(a.qty(sku)).toHaveText('2');
  await expect(a.stock(sku)).toHaveText('3 in stock');
  await a.setOffline(true);
  await b.setOffline(true);
  await a.removeLine(sku);
  await b.removeLine(sku);
  await a.setOffline(false);
  await b.setOffline(false);
  for (const shop of [a, b]) {
    await expect(shop.line(sku)).toHaveCount(0);
    await expect(shop.stock(sku)).toHaveText('5 in stock');
  }
  await a.synced();
  await b.synced();
  await expect(b.stock(sku)).toHaveText('5 in stock');
  await a.page.context().close();
  await b.page.context().close();
});
