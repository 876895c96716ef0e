import { expect, test } from '@playwright/test';
import { Cluster, REGIONS } from './cluster.js';
import { Shop } from './shop.js';

let cluster: Cluster;
test.beforeAll(async () => {
  cluster = await Cluster.start();
});
test.afterAll(async () => {
  await cluster?.stop();
});

test('an unknown region is named, with links to the real ones, instead of a silent fallback', async ({
  page,
}) => {
  await page.goto(cluster.url('mars-1'));
  const error = page.getByTestId('unknown-region');
  await expect(error).toContainText('There is no region “mars-1”');
  await expect(page.getByTestId('sync-badge')).toHaveCount(0);
  const links = error.getByRole('link');
  await expect(links).toHaveText([...REGIONS]);
  await error.getByRole('link', { name: 'eu-west-1' }).click();
  await expect(page).toHaveURL(/\?region=eu-west-1$/);
  await new Shop(page).online();
  expect(await new Shop(page).region()).toBe('eu-west-1');
});
