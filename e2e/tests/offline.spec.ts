import { expect, test } from '@playwright/test';
import { Cluster } from './cluster.js';

// The demo lists all five regions, but none of their relays is running at first.
let cluster: Cluster;
test.beforeAll(async () => {
  cluster = await Cluster.start({ running: [] });
});
test.afterAll(async () => {
  await cluster?.stop();
});

test('with no region reachable the tab says so, keeps the writes, and recovers when one is back', async ({
  browser,
}) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(cluster.url('us-east-1'));
  const connection = page.getByTestId('connection');
  await expect(connection).toHaveText('connecting');
  // Not "connecting" forever: within UNREACHABLE_AFTER_MS (6 s) and a margin.
  await expect(connection).toHaveText('offline — no region reachable', { timeout: 10_000 });
  await expect(page.getByTestId('unreachable-notice')).toBeVisible();
  // A wish needs nothing from a relay (adding to the cart would: it takes stock first).
  await page.getByTestId('wish-beans-colombia').click();
  await expect(page.getByTestId('pending')).toHaveText('1 pending');

  // Another region than home comes up: the tab reaches it and syncs.
  await cluster.restart('eu-west-1');
  await expect(connection).toHaveText('online', { timeout: 15_000 });
  await expect(page.getByTestId('region')).toHaveText('eu-west-1');
  await expect(page.getByTestId('unreachable-notice')).toHaveCount(0);
  await expect(page.getByTestId('pending')).toHaveText('0 pending');
  await context.close();
});
