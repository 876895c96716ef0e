import products from './products.json' with { type: 'json' };

/** A product of the demo shop. Prices in cents. */
export interface Product {
  readonly sku: string;
  readonly name: string;
  readonly blurb: string;
  readonly price: number;
  /** Two colours for the product's illustration. */
  readonly colors: readonly [string, string];
  readonly kind: 'bag' | 'mug' | 'grinder' | 'kettle' | 'press' | 'filter';
}

// The products are data, in products.json, so that the start script's warehouse stocks the same
// ones. JSON widens the colour pair and the kind to string[] and string: the file holds Products.
export const CATALOG = products as unknown as readonly Product[];

export const PRODUCTS = new Map(CATALOG.map((p) => [p.sku, p]));

export function formatPrice(cents: number): string {
  return new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' }).format(cents / 100);
}
