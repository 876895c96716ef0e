import { Quantity } from '@helios/core';
import { useCrdtMap } from '@helios/react';
import { PRODUCTS, type Product } from './catalog.js';
import { DOCS } from './documents.js';

export interface CartLine {
  readonly sku: string;
  readonly qty: number;
  readonly product: Product;
}

/** The shared cart: its document, its lines by product name, item count and total in cents. */
export function useCart() {
  const cart = useCrdtMap(DOCS.cart, Quantity);
  const lines: CartLine[] = [];
  for (const [sku, qty] of cart.value) {
    const product = PRODUCTS.get(String(sku));
    if (product) lines.push({ sku: String(sku), qty, product });
  }
  lines.sort((a, b) => a.product.name.localeCompare(b.product.name));
  // A Quantity never goes below zero, and a line at zero is gone from the map.
  const total = lines.reduce((sum, l) => sum + l.qty * l.product.price, 0);
  const items = lines.reduce((n, l) => n + l.qty, 0);
  return { cart, lines, items, total };
}
