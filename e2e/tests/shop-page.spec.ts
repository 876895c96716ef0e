import { type BrowserContext, expect, type Page, test } from '@playwright/test';
import { Cluster, REGIONS } from './cluster.js';
import { Shop } from './shop.js';

/** The arrow of the empty cart's hint, which the stylesheet draws after it. */
function arrow(page: Page): Promise<string> {
  return page
    .getByTestId('toward-products')
    .evaluate((el) => getComputedStyle(el, '::after').content);
}

/**
 * A tab that starts offline (the demo's remembered toggle): its cart is this browser's alone, so
 * the layout test sees it empty, whatever the other tests did.
 */
async function openOffline(context: BrowserContext, url: string): Promise<Shop> {
  await context.addInitScript(() => localStorage.setItem('helios-demo-offline', 'true'));
  const page = await context.newPage();
  await page.goto(url);
  await expect(page.getByTestId('connection')).toHaveText('offline');
  return new Shop(page);
}

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

test('on a phone the cart is one tap away, and the empty cart points up to the products', async ({
  browser,
}) => {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  // Online: adding takes stock, which a new tab gets from its relay. The cart is this file's
  // cluster's, and no test before this one puts anything in it.
  const shop = await Shop.open(context, cluster.url('us-east-1'));
  const { page } = shop;
  const cart = page.getByTestId('cart');
  await expect(cart).not.toBeInViewport();
  expect(await arrow(page)).toBe('"↑"');

  await shop.add('filter-papers');
  await shop.add('filter-papers');
  const bar = page.getByTestId('cart-bar');
  await expect(bar).toBeInViewport();
  await expect(bar).toContainText('Cart · 2 items · $13.00');
  await bar.click();
  await expect(cart).toBeInViewport();
  await expect(cart).toBeFocused();
  await expect(shop.qty('filter-papers')).toHaveText('2');
  await context.close();
});

test('beside the products the cart needs no bar, and its empty state points left to them', async ({
  browser,
}) => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const shop = await openOffline(context, cluster.url('us-east-1'));
  await expect(shop.page.getByTestId('cart')).toBeInViewport();
  await expect(shop.page.getByTestId('cart-bar')).toBeHidden();
  expect(await arrow(shop.page)).toBe('"←"');
  await context.close();
});

test('icon buttons and fields have names that say what they act on', async ({ browser }) => {
  const context = await browser.newContext();
  const { page } = await Shop.open(context, cluster.url('us-west-2'));
  const mug = page.getByRole('button', { name: 'Wishlist Stoneware Mug' });
  await expect(mug).toHaveAttribute('aria-pressed', 'false');
  await mug.click();
  await expect(mug).toHaveAttribute('aria-pressed', 'true');
  const wishlist = page.getByRole('region', { name: 'Wishlist' });
  await expect(
    wishlist.getByRole('button', { name: 'Remove Stoneware Mug from wishlist' }),
  ).toBeVisible();

  await page.getByTestId('add-kettle-gooseneck').click();
  const cart = page.getByRole('region', { name: 'Cart' });
  for (const name of [
    'One more Gooseneck Kettle',
    'One less Gooseneck Kettle',
    'Remove Gooseneck Kettle from cart',
  ]) {
    await expect(cart.getByRole('button', { name })).toBeVisible();
  }
  await expect(page.getByRole('textbox', { name: 'Gift note' })).toBeVisible();
  await expect(
    page.getByRole('article', { name: 'Gooseneck Kettle' }).getByRole('button', {
      name: 'In cart · 1',
    }),
  ).toHaveAccessibleDescription('Gooseneck Kettle');
  await context.close();
});
