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

export const CATALOG: readonly Product[] = [
  {
    sku: 'beans-ethiopia',
    name: 'Yirgacheffe Beans',
    blurb: 'Jasmine, bergamot, 250 g',
    price: 1650,
    colors: ['#7c2d12', '#fbbf24'],
    kind: 'bag',
  },
  {
    sku: 'beans-colombia',
    name: 'Huila Beans',
    blurb: 'Red apple, caramel, 250 g',
    price: 1450,
    colors: ['#14532d', '#86efac'],
    kind: 'bag',
  },
  {
    sku: 'beans-kenya',
    name: 'Nyeri AA Beans',
    blurb: 'Blackcurrant, tomato, 250 g',
    price: 1890,
    colors: ['#4c1d95', '#c4b5fd'],
    kind: 'bag',
  },
  {
    sku: 'mug-stoneware',
    name: 'Stoneware Mug',
    blurb: 'Hand-glazed, 350 ml',
    price: 2400,
    colors: ['#0e7490', '#a5f3fc'],
    kind: 'mug',
  },
  {
    sku: 'grinder-burr',
    name: 'Conical Burr Grinder',
    blurb: '40 settings, steel burrs',
    price: 12900,
    colors: ['#1f2937', '#9ca3af'],
    kind: 'grinder',
  },
  {
    sku: 'kettle-gooseneck',
    name: 'Gooseneck Kettle',
    blurb: 'Temperature hold, 0.9 l',
    price: 8900,
    colors: ['#991b1b', '#fca5a5'],
    kind: 'kettle',
  },
  {
    sku: 'press-french',
    name: 'French Press',
    blurb: 'Borosilicate, 8 cups',
    price: 3900,
    colors: ['#92400e', '#fde68a'],
    kind: 'press',
  },
  {
    sku: 'filter-papers',
    name: 'Filter Papers',
    blurb: 'Unbleached, 100 pack',
    price: 650,
    colors: ['#57534e', '#e7e5e4'],
    kind: 'filter',
  },
];

export const PRODUCTS = new Map(CATALOG.map((p) => [p.sku, p]));

export function formatPrice(cents: number): string {
  return new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' }).format(cents / 100);
}
