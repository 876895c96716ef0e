import { expect, test } from '@playwright/test';
import { Cluster, REGIONS } from './cluster.js';
import { Shop } from './shop.js';

// The devtools panel (packages/devtools) in the demo: opened by its URL flag, it shows a write's
// trail reaching all five regions.
let cluster: Cluster;
test.beforeAll(async () => {
  cluster = await Cluster.start({ stock: {} });
});
test.afterAll(async () => {
  await cluster?.stop();
});

test('the devtools panel shows a write reaching all five regions', async ({ browser }) => {
  const home = 'us-east-1';
  const shop = await Shop.open(await browser.newContext(), `${cluster.url(home)}&helios-devtools`);
  const panel = shop.page.getByRole('dialog', { name: 'Helios devtools' });
  await expect(panel).toBeVisible();
  await panel.getByRole('combobox', { name: 'Document' }).selectOption('demo:wishlist');

  await shop.page.getByTestId('wish-mug-stoneware').click();

  // The newest write of the wishlist, its trail in the Writes view.
  await expect(panel.getByRole('tab', { name: 'Writes' })).toHaveAttribute('aria-selected', 'true');
  const trail = panel.getByRole('tabpanel').locator('tbody > tr').first().locator('ol.trail');
  await expect(trail.locator('li').first()).toHaveText(/^pending \+0 ms$/);
  await expect(trail).toContainText('local');
  await expect(trail).toContainText(`relay ${home}`);
  for (const region of REGIONS.filter((r) => r !== home)) {
    await expect(trail).toContainText(`region ${region}`, { timeout: 30_000 });
  }
  await expect(trail.locator('li').last()).toHaveText(/^global \+\d+ ms$/, { timeout: 30_000 });
  await expect(trail.locator('li.failed')).toHaveCount(0);

  // Closed and opened again with the shortcut, the panel draws the client's history: the same trail.
  await panel.getByRole('button', { name: 'Close Helios devtools' }).click();
  await expect(panel).toBeHidden();
  await shop.page.keyboard.press('Control+Shift+H');
  await expect(panel).toBeVisible();
  await expect(panel.getByRole('tabpanel')).toContainText('global');
  await shop.page.context().close();
});
