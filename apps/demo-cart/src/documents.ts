import { orMap, Quantity } from '@helios/core';

/** The demo user's documents. Every tab, browser and region shares them: that is the point. */
export const DOCS = {
  cart: 'demo:cart',
  wishlist: 'demo:wishlist',
  giftNote: 'demo:gift-note',
} as const;

/**
 * The shop's stock of one product: a Bounded Counter (floor 0) that every shopper shares. The
 * start script's warehouse seeds it (scripts/warehouse.mjs names it the same way).
 */
export function stockDoc(sku: string): string {
  return `demo:stock:${sku}`;
}

/**
 * The cart's type: SKU → Quantity. A line never goes below zero, a line at zero is gone, and a
 * line removed while another device added to it comes back with only the units the remover had
 * not seen (docs/choosing-a-crdt.md).
 */
export const CART = orMap(Quantity);
