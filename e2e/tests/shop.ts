import { type BrowserContext, expect, type Page } from '@playwright/test';

/** The demo shop as a test drives it, by the data-testid hooks of apps/demo-cart. */
export class Shop {
  constructor(readonly page: Page) {}

  static async open(context: BrowserContext, url: string): Promise<Shop> {
    const page = await context.newPage();
    await page.goto(url);
    const shop = new Shop(page);
    await shop.online();
    return shop;
  }

  async online(): Promise<void> {
    await expect(this.page.getByTestId('connection')).toHaveText('online');
  }

  async setOffline(offline: boolean): Promise<void> {
    const toggle = this.page.getByTestId('offline-toggle');
    if ((await toggle.isChecked()) !== offline) await toggle.click();
    if (offline) await expect(this.page.getByTestId('connection')).toHaveText('offline');
    else await this.online();
  }

  async add(sku: string): Promise<void> {
    await this.page.getByTestId(`add-${sku}`).click();
  }

  /** "Add to cart" once, and waits until its take of a unit of stock has its answer. */
  async buy(sku: string): Promise<void> {
    await this.add(sku);
    await expect(this.addButton(sku)).not.toHaveAttribute('aria-busy', 'true');
  }

  addButton(sku: string) {
    return this.page.getByTestId(`add-${sku}`);
  }

  /** The card's stock: "N in stock" or "Sold out". */
  stock(sku: string) {
    return this.page.getByTestId(`stock-${sku}`);
  }

  /** The card's message after an add that found no stock to take. */
  refused(sku: string) {
    return this.page.getByTestId(`refused-${sku}`);
  }

  async increment(sku: string): Promise<void> {
    await this.page.getByTestId(`inc-${sku}`).click();
  }

  async less(sku: string): Promise<void> {
    await this.page.getByTestId(`dec-${sku}`).click();
  }

  async removeLine(sku: string): Promise<void> {
    await this.page.getByTestId(`remove-${sku}`).click();
  }

  qty(sku: string) {
    return this.page.getByTestId(`qty-${sku}`);
  }

  line(sku: string) {
    return this.page.getByTestId(`line-${sku}`);
  }

  async synced(): Promise<void> {
    await expect(this.page.getByTestId('pending')).toHaveText('0 pending');
  }

  async region(): Promise<string> {
    return (await this.page.getByTestId('region').textContent()) ?? '';
  }
}
