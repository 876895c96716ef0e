import { formatPrice } from '../catalog.js';
import { useCart } from '../use-cart.js';
import { CART_ID } from './CartPanel.js';

/**
 * On a phone the cart comes after all the products: this bar, pinned to the bottom of the screen
 * there (and hidden on wider screens, where the cart is beside the products), shows what is in it
 * and takes the shopper to it.
 */
export function CartSummaryBar() {
  const { items, total } = useCart();
  return (
    <nav className="cart-bar" aria-label="Cart summary">
      <button
        type="button"
        aria-controls={CART_ID}
        data-testid="cart-bar"
        onClick={() => {
          const cart = document.getElementById(CART_ID);
          cart?.scrollIntoView({ behavior: 'smooth', block: 'start' });
          cart?.focus({ preventScroll: true });
        }}
      >
        <span>
          Cart · <span data-testid="cart-bar-count">{items}</span> {items === 1 ? 'item' : 'items'}{' '}
          · {formatPrice(total)}
        </span>
        <strong>View cart ↓</strong>
      </button>
    </nav>
  );
}
