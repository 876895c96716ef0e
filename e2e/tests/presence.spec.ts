import { expect, test } from '@playwright/test';
import { Cluster } from './cluster.js';
import { Shop } from './shop.js';

// Presence: each tab shows the other devices on the shared cart and their regions. Ports of
// its own, so this suite can run beside the others.
let cluster: Cluster;
test.beforeAll(async () => {
  cluster = await Cluster.start({ basePort: 4521, shopPort: 4520, stock: {} });
});
test.afterAll(async () => {
  await cluster?.stop();
});

test('a tab in another region shows this device, and stops once its tab closes', async ({
  browser,
}) => {
  const eu = await Shop.open(await browser.newContext(), cluster.url('eu-west-1'));
  const ap = await Shop.open(await browser.newContext(), cluster.url('ap-southeast-1'));
  // Across the injected eu ↔ ap latency, through the peer link between their relays.
  await expect(ap.page.getByTestId('also-here')).toHaveText('Also here: 1 device — eu-west-1', {
    timeout: 15_000,
  });
  await expect(eu.page.getByTestId('also-here')).toHaveText(
    'Also here: 1 device — ap-southeast-1',
    { timeout: 15_000 },
  );
  // The eu tab goes: its relay removes its entry, and ap's relay hears it over the link.
  await eu.page.close();
  await expect(ap.page.getByTestId('also-here')).toHaveCount(0, { timeout: 15_000 });
  await ap.page.context().close();
});
