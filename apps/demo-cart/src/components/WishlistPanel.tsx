import { useAWSet } from '@helios/react';
import { PRODUCTS } from '../catalog.js';
import { DOCS } from '../documents.js';
import { useLastWrite } from '../last-write.js';

export function WishlistPanel() {
  const wishlist = useAWSet<string>(DOCS.wishlist);
  const { track } = useLastWrite();
  const items = [...wishlist.value]
    .map((sku) => PRODUCTS.get(String(sku)))
    .filter((product) => product !== undefined)
    .sort((a, b) => a.sku.localeCompare(b.sku));
  return (
    <section className="panel" aria-label="Wishlist" data-testid="wishlist">
      <h2>
        Wishlist <span className="count">{items.length}</span>
      </h2>
      {items.length === 0 && <p className="empty">Tap ♡ on a product to keep it for later.</p>}
      <ul className="wishes">
        {items.map(({ sku, name }) => (
          <li key={sku} data-testid={`wished-${sku}`}>
            <span>
              <span aria-hidden="true">♥</span> {name}
            </span>
            <button
              type="button"
              className="remove"
              aria-label={`Remove ${name} from wishlist`}
              data-testid={`unwish-${sku}`}
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
