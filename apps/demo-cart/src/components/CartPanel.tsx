import { Quantity } from '@helios/core';
import { useCrdtMap } from '@helios/react';
import { formatPrice } from '../catalog.js';
import { DOCS } from '../documents.js';
import { useLastWrite } from '../last-write.js';
import { type CartLine, useCart } from '../use-cart.js';
import { useTakeStock } from '../use-take-stock.js';
import { AlsoHere } from './AlsoHere.js';

/** The element the phone layout's summary bar scrolls to. */
export const CART_ID = 'cart';

export function CartPanel() {
  const { lines, items, total } = useCart();
  return (
    <section id={CART_ID} className="panel cart" aria-label="Cart" data-testid="cart" tabIndex={-1}>
      <h2>
        Cart{' '}
        <span className="count" data-testid="cart-count">
          {items}
        </span>
      </h2>
      <AlsoHere />
      {lines.length === 0 && (
        <p className="empty" data-testid="cart-empty">
          Your cart is empty. The beans are over there{' '}
          {/* ← beside the products, ↑ below them on a phone: the arrow is the stylesheet's. */}
          <span className="toward-products" aria-hidden="true" data-testid="toward-products" />
        </p>
      )}
      <ul>
        {lines.map((line) => (
          <CartLineItem key={line.sku} line={line} />
        ))}
      </ul>
      <div className="total">
        <span>Total</span>
        <strong data-testid="cart-total">{formatPrice(total)}</strong>
      </div>
    </section>
  );
}

function CartLineItem({ line: { sku, qty, product } }: { line: CartLine }) {
  const cart = useCrdtMap(DOCS.cart, Quantity);
  const { inStock, refused, busy, add } = useTakeStock(sku);
  const { track } = useLastWrite();
  return (
    <li data-testid={`line-${sku}`}>
      <span className="name">{product.name}</span>
      <span className="qty">
        <button
          type="button"
          // At 1, one less takes the line away: a Quantity at zero is no line.
          aria-label={`One less ${product.name}`}
          data-testid={`dec-${sku}`}
          onClick={() => track(cart.update(sku, (l, me) => Quantity.decrement(l, me, 1)))}
        >
          −
        </button>
        <output data-testid={`qty-${sku}`}>{qty}</output>
        <button
          type="button"
          aria-label={`One more ${product.name}`}
          data-testid={`inc-${sku}`}
          // One more takes a unit of stock, as "Add to cart" does.
          disabled={inStock === 0 || busy}
          onClick={() => void add()}
        >
          +
        </button>
      </span>
      <span className="line-total">{formatPrice(qty * product.price)}</span>
      <button
        type="button"
        className="remove"
        aria-label={`Remove ${product.name} from cart`}
        data-testid={`remove-${sku}`}
        onClick={() => track(cart.remove(sku))}
      >
        ✕
      </button>
      {refused && (
        <span className="stock-refused" role="alert" data-testid={`line-refused-${sku}`}>
          {inStock === 0 ? 'Sold out' : 'None left in your region right now'}
        </span>
      )}
    </li>
  );
}
