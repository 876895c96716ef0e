import { expect, test } from '@playwright/test';
import { Cluster } from './cluster.js';
import { Shop } from './shop.js';

let cluster: Cluster;
test.beforeAll(async () => {
  cluster = await Cluster.start();
});
test.afterAll(async () => {
  await cluster?.stop();
});

test('two tabs of one browser: edits in one appear in the other, offline too', async ({
  browser,
}) => {
  const context = await browser.newContext();
  const a = await Shop.open(context, cluster.url('us-east-1'));
  const b = await Shop.open(context, cluster.url('us-east-1'));
  await a.add('beans-ethiopia');
  await expect(b.qty('beans-ethiopia')).toHaveText('1');
  // Online, b's "+" takes a unit of stock from the relay, and a small lease with it.
  await b.increment('beans-ethiopia');
  await expect(a.qty('beans-ethiopia')).toHaveText('2');

  await a.setOffline(true);
  await b.setOffline(true);
  // Offline, b sells from its lease.
  await b.increment('beans-ethiopia');
  await expect(a.qty('beans-ethiopia')).toHaveText('3');
  await a.page.getByRole('button', { name: 'Wishlist Stoneware Mug' }).click();
  await expect(b.page.getByTestId('wished-mug-stoneware')).toBeVisible();
  await b.page.getByRole('button', { name: 'Remove Stoneware Mug from wishlist' }).click();
  await expect(a.page.getByTestId('wished-mug-stoneware')).toHaveCount(0);
  await context.close();
});

test('two browsers on different regions: concurrent increments both count, remove vs increment keeps the line', async ({
  browser,
}) => {
  const ctxA = await browser.newContext();
  const ctxB = await browser.newContext();
  const a = await Shop.open(ctxA, cluster.url('us-east-1'));
  const b = await Shop.open(ctxB, cluster.url('eu-west-1'));
  expect(await a.region()).toBe('us-east-1');
  expect(await b.region()).toBe('eu-west-1');

  await a.add('beans-kenya');
  await expect(b.qty('beans-kenya')).toHaveText('1');
  // Each shopper takes a unit online first, and with it a lease to add more offline.
  await b.increment('beans-kenya');
  await expect(a.qty('beans-kenya')).toHaveText('2');

  // Both offline: each adds one more of the same item.
  await a.setOffline(true);
  await b.setOffline(true);
  await a.increment('beans-kenya');
  await b.increment('beans-kenya');
  await expect(a.qty('beans-kenya')).toHaveText('3');
  await expect(b.qty('beans-kenya')).toHaveText('3');
  await a.setOffline(false);
  await b.setOffline(false);
  await expect(a.qty('beans-kenya')).toHaveText('4');
  await expect(b.qty('beans-kenya')).toHaveText('4');

  // One removes the line while the other, concurrently, raises it: the line stays.
  await a.setOffline(true);
  await b.setOffline(true);
  await a.removeLine('beans-kenya');
  await expect(a.line('beans-kenya')).toHaveCount(0);
  await b.increment('beans-kenya');
  await a.setOffline(false);
  await b.setOffline(false);
  await expect(a.line('beans-kenya')).toBeVisible();
  await expect(b.line('beans-kenya')).toBeVisible();
  await expect(a.qty('beans-kenya')).toHaveText((await b.qty('beans-kenya').textContent()) ?? '');
  await a.synced();
  await b.synced();
  await ctxA.close();
  await ctxB.close();
});

test('three devices offline each take one away from a line of 2: it ends at 1, and at 0 it is gone', async ({
  browser,
}) => {
  const shops = await Promise.all(
    ['us-east-1', 'eu-west-1', 'us-west-2'].map(async (region) =>
      Shop.open(await browser.newContext(), cluster.url(region)),
    ),
  );
  const [a, b, c] = shops as [Shop, Shop, Shop];
  await a.add('mug-stoneware');
  await a.increment('mug-stoneware');
  for (const shop of shops) await expect(shop.qty('mug-stoneware')).toHaveText('2');

  for (const shop of shops) await shop.setOffline(true);
  for (const shop of shops) await shop.less('mug-stoneware');
  for (const shop of shops) await expect(shop.qty('mug-stoneware')).toHaveText('1');
  for (const shop of shops) await shop.setOffline(false);
  // The three took the same unit away (a quantity's decrements from one view coincide).
  for (const shop of shops) await expect(shop.qty('mug-stoneware')).toHaveText('1');
  for (const shop of shops) await shop.synced();

  // Two more take the last one away at once: the line is gone, never at 0 or below.
  await b.setOffline(true);
  await c.setOffline(true);
  await b.less('mug-stoneware');
  await c.less('mug-stoneware');
  await b.setOffline(false);
  await c.setOffline(false);
  for (const shop of shops) await expect(shop.line('mug-stoneware')).toHaveCount(0);
  await Promise.all(shops.map((shop) => shop.page.context().close()));
});

test('gift note edited offline on two devices shows both versions, and resolves everywhere', async ({
  browser,
}) => {
  const ctxA = await browser.newContext();
  const ctxB = await browser.newContext();
  const a = await Shop.open(ctxA, cluster.url('us-west-2'));
  const b = await Shop.open(ctxB, cluster.url('sa-east-1'));
  await a.setOffline(true);
  await b.setOffline(true);
  await a.page.getByTestId('gift-input').fill('Love, Ann');
  await a.page.getByTestId('gift-save').click();
  await b.page.getByTestId('gift-input').fill('From Bob, with beans');
  await b.page.getByTestId('gift-save').click();
  await a.setOffline(false);
  await b.setOffline(false);
  await expect(a.page.getByTestId('gift-version')).toHaveCount(2);
  await expect(b.page.getByTestId('gift-version')).toHaveCount(2);

  const versions = await a.page.getByTestId('gift-version').allInnerTexts();
  const chosen = versions.findIndex((v) => v.includes('From Bob'));
  await a.page.getByTestId(`keep-${chosen}`).click();
  await expect(a.page.getByTestId('gift-current')).toContainText('From Bob, with beans');
  await expect(b.page.getByTestId('gift-current')).toContainText('From Bob, with beans');
  await expect(b.page.getByTestId('gift-conflict')).toHaveCount(0);
  await ctxA.close();
  await ctxB.close();
});

test('a reload keeps unsynced writes and the offline toggle, and syncs once back online', async ({
  browser,
}) => {
  const context = await browser.newContext();
  const a = await Shop.open(context, cluster.url('ap-southeast-1'));
  // Online, the first add takes a unit and a lease of two more; offline, the lease is spent.
  await a.add('press-french');
  await a.synced();
  await a.setOffline(true);
  await a.increment('press-french');
  await a.increment('press-french');
  // Two writes per unit: the stock it took, the cart line it raised.
  await expect(a.page.getByTestId('pending')).toHaveText('4 pending');
  await a.page.reload();
  // Still offline after the reload: the writes are there, still waiting.
  await expect(a.qty('press-french')).toHaveText('3');
  await expect(a.page.getByTestId('offline-toggle')).toBeChecked();
  await expect(a.page.getByTestId('connection')).toHaveText('offline');
  await expect(a.page.getByTestId('pending')).toHaveText('4 pending');
  await a.setOffline(false);
  await a.synced();

  const other = await browser.newContext();
  const b = await Shop.open(other, cluster.url('us-east-1'));
  await expect(b.qty('press-french')).toHaveText('3');
  await context.close();
  await other.close();
});

test('killing a region fails the tab over to another region; nothing is lost when it is back', async ({
  browser,
}, testInfo) => {
  const context = await browser.newContext();
  const a = await Shop.open(context, cluster.url('eu-west-1'));
  await a.add('kettle-gooseneck');
  await a.synced();
  await cluster.kill('eu-west-1');
  await expect(a.page.getByTestId('failover-notice')).toBeVisible({ timeout: 30_000 });
  expect(await a.region()).not.toBe('eu-west-1');
  await a.increment('kettle-gooseneck');
  await a.increment('kettle-gooseneck');
  await a.synced();

  await cluster.restart('eu-west-1');
  await expect.poll(() => a.region(), { timeout: 30_000 }).toBe('eu-west-1');
  // A fresh browser reading through the restarted region sees every write.
  const other = await browser.newContext();
  const b = await Shop.open(other, cluster.url('eu-west-1'));
  await expect(b.qty('kettle-gooseneck')).toHaveText('3');
  await b.page.screenshot({ path: testInfo.outputPath('converged-cart.png'), fullPage: true });
  await testInfo.attach('converged-cart', {
    path: testInfo.outputPath('converged-cart.png'),
    contentType: 'image/png',
  });
  await context.close();
  await other.close();
});

test('a tab stays on its home region through a one-second network drop', async ({ browser }) => {
  const context = await browser.newContext();
  const a = await Shop.open(context, cluster.url('eu-west-1'));
  // Every change of the badge's connection and region, as the page renders them.
  await a.page.evaluate(() => {
    const seen: string[] = [];
    (window as unknown as { seen: string[] }).seen = seen;
    const read = () =>
      `${document.querySelector('[data-testid=connection]')?.textContent}|${document.querySelector('[data-testid=region]')?.textContent}`;
    setInterval(() => {
      const now = read();
      if (seen.at(-1) !== now) seen.push(now);
    }, 10);
  });
  await context.setOffline(true);
  await expect(a.page.getByTestId('connection')).not.toHaveText('online');
  await a.page.waitForTimeout(1_000);
  await context.setOffline(false);
  await a.online();
  const seen = await a.page.evaluate(() => (window as unknown as { seen: string[] }).seen);
  const onlineAt = seen.filter((s) => s.startsWith('online|')).map((s) => s.split('|')[1]);
  expect(new Set(onlineAt)).toEqual(new Set(['eu-west-1']));
  expect(seen.some((s) => !s.startsWith('online|'))).toBe(true); // the drop did show
  await context.close();
});
