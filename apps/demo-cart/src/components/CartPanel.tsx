import { PNCounter } from '@helios/core';
import { formatPrice } from '../catalog.js';
import { useLastWrite } from '../last-write.js';
import { useCart } from '../use-cart.js';

/** The element the phone layout's summary bar scrolls to. */
export const CART_ID = 'cart';

export function CartPanel() {
  const { cart, lines, items, total } = useCart();
  const { track } = useLastWrite();
  return (
    <section id={CART_ID} className="panel cart" aria-label="Cart" data-testid="cart" tabIndex={-1}>
      <h2>
        Cart{' '}
        <span className="count" data-testid="cart-count">
          {items}
        </span>
      </h2>
      {lines.length === 0 && (
        <p className="empty" data-testid="cart-empty">
          Your cart is empty. The beans are over there{' '}
          {/* ← beside the products, ↑ below them on a phone: the arrow is the stylesheet's. */}
          <span className="toward-products" aria-hidden="true" data-testid="toward-products" />
        </p>
      )}
      <ul>
        {lines.map(({ sku, qty, product }) => (
          <li key={sku} data-testid={`line-${sku}`}>
            <span className="name">{product.name}</span>
            <span className="qty">
              <button
                type="button"
                aria-label={`One less ${product.name}`}
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
                aria-label={`One more ${product.name}`}
                data-testid={`inc-${sku}`}
                onClick={() =>
                  track(cart.update(sku, (line, me) => PNCounter.increment(line, me, 1)))
                }
              >
                +
              </button>
            </span>
            <span className="line-total">{formatPrice(Math.max(0, qty) * product.price)}</span>
            <button
              type="button"
              className="remove"
              aria-label={`Remove ${product.name} from cart`}
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
