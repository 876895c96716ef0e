import { PNCounter } from '@helios/core';
import { useCrdtMap } from '@helios/react';
import { formatPrice, PRODUCTS } from '../catalog.js';
import { DOCS } from '../documents.js';
import { useLastWrite } from '../last-write.js';

export function CartPanel() {
  const cart = useCrdtMap(DOCS.cart, PNCounter);
  const { track } = useLastWrite();
  const lines = [...cart.value]
    .map(([sku, qty]) => ({ sku: String(sku), qty, product: PRODUCTS.get(String(sku)) }))
    .filter((l) => l.product !== undefined)
    .sort((a, b) => a.product!.name.localeCompare(b.product!.name));
  const total = lines.reduce((sum, l) => sum + Math.max(0, l.qty) * l.product!.price, 0);
  const items = lines.reduce((n, l) => n + Math.max(0, l.qty), 0);
  return (
    <section className="panel cart" aria-label="Cart" data-testid="cart">
      <h2>
        Cart{' '}
        <span className="count" data-testid="cart-count">
          {items}
        </span>
      </h2>
      {lines.length === 0 && (
        <p className="empty">Your cart is empty. The beans are over there →</p>
      )}
      <ul>
        {lines.map(({ sku, qty, product }) => (
          <li key={sku} data-testid={`line-${sku}`}>
            <span className="name">{product!.name}</span>
            <span className="qty">
              <button
                type="button"
                aria-label={`One less ${product!.name}`}
                data-testid={`dec-${sku}`}
                disabled={qty <= 1}
                onClick={() =>
                  track(cart.update(sku, (line, me) => PNCounter.decrement(line, me, 1)))
                }
              >
                −
              </button>
              <output data-testid={`qty-${sku}`}>{qty}</output>
              <button
                type="button"
                aria-label={`One more ${product!.name}`}
                data-testid={`inc-${sku}`}
                onClick={() =>
                  track(cart.update(sku, (line, me) => PNCounter.increment(line, me, 1)))
                }
              >
                +
              </button>
            </span>
            <span className="line-total">{formatPrice(Math.max(0, qty) * product!.price)}</span>
            <button
              type="button"
              className="remove"
              aria-label={`Remove ${product!.name}`}
              data-testid={`remove-${sku}`}
              onClick={() => track(cart.remove(sku))}
            >
              ✕
            </button>
          </li>
        ))}
      </ul>
      <div className="total">
        <span>Total</span>
        <strong data-testid="cart-total">{formatPrice(total)}</strong>
      </div>
    </section>
  );
}
