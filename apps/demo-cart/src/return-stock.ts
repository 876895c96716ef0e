import type { HeliosClient } from '@helios/client';
import { BoundedCounter } from '@helios/core';
import { CART, DOCS, stockDoc } from './documents.js';
import { owedStock } from './stock-returns.js';

/**
 * Puts back on the shelf the units that left the cart: for each product, what this client's
 * replica owes back ({@link owedStock}) is added to the stock again, and deposited with the
 * region's relay so that any shopper can buy it. Returns the function that stops it.
 *
 * A pass runs after each change of the cart or of a stock counter, in a task of its own: a
 * take's stock decrement and its cart write happen in one task (the add writes the cart line as
 * soon as its take resolves, and only once the cart has loaded), so no pass sees a unit taken
 * and not yet in the cart. A unit whose cart write never happened (the tab was closed between
 * the two) is owed, and given back by the next pass.
 */
export function returnStock(client: HeliosClient, skus: readonly string[]): () => void {
  const cart = client.open(DOCS.cart, CART);
  const stocks = skus.map((sku) => ({ sku, stock: client.open(stockDoc(sku), BoundedCounter) }));
  let timer: ReturnType<typeof setTimeout> | undefined;
  const schedule = () => {
    clearTimeout(timer);
    timer = setTimeout(pass, 0);
  };
  const pass = () => {
    if (!cart.isLoaded) return;
    for (const { sku, stock } of stocks) {
      if (!stock.isLoaded) continue;
      const line = cart.read((state) => CART.get(state, sku)?.store);
      const owed = stock.read((state, me) => (me === undefined ? 0 : owedStock(state, line, me)));
      if (owed <= 0) continue;
      stock.increment(owed);
      // Offline, with no relay of the region in the state yet, the rights stay with this tab:
      // its next take spends them, or its lease's idle return gives them to the relay.
      stock.deposit(owed).catch(() => {});
    }
  };
  const unsubscribe = [cart, ...stocks.map(({ stock }) => stock)].map((doc) =>
    doc.subscribe(schedule),
  );
  schedule();
  return () => {
    clearTimeout(timer);
    for (const off of unsubscribe) off();
  };
}
