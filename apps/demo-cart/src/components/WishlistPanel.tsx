import { useAWSet } from '@helios/react';
import { PRODUCTS } from '../catalog.js';
import { DOCS } from '../documents.js';
import { useLastWrite } from '../last-write.js';

export function WishlistPanel() {
  const wishlist = useAWSet<string>(DOCS.wishlist);
  const { track } = useLastWrite();
  const items = [...wishlist.value]
    .map(String)
    .filter((sku) => PRODUCTS.has(sku))
    .sort();
  return (
    <section className="panel" aria-label="Wishlist" data-testid="wishlist">
      <h2>
        Wishlist <span className="count">{items.length}</span>
      </h2>
      {items.length === 0 && <p className="empty">Tap ♡ on a product to keep it for later.</p>}
      <ul className="wishes">
        {items.map((sku) => (
          <li key={sku} data-testid={`wished-${sku}`}>
            <span>♥ {PRODUCTS.get(sku)!.name}</span>
            <button
              type="button"
              className="remove"
              aria-label="Remove"
              onClick={() => track(wishlist.remove(sku))}
            >
              ✕
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
