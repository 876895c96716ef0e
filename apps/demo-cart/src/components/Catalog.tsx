import { PNCounter } from '@helios/core';
import { useAWSet, useCrdtMap } from '@helios/react';
import { CATALOG, formatPrice } from '../catalog.js';
import { DOCS } from '../documents.js';
import { useLastWrite } from '../last-write.js';
import { ProductArt } from './ProductArt.js';

export function Catalog() {
  const cart = useCrdtMap(DOCS.cart, PNCounter);
  const wishlist = useAWSet<string>(DOCS.wishlist);
  const { track } = useLastWrite();
  return (
    <section className="catalog" aria-label="Products">
      {CATALOG.map((product) => {
        const wished = wishlist.has(product.sku);
        const inCart = cart.value.get(product.sku) ?? 0;
        return (
          <article
            key={product.sku}
            className="card"
            aria-labelledby={`name-${product.sku}`}
            data-testid={`product-${product.sku}`}
          >
            <button
              type="button"
              className={`wish ${wished ? 'on' : ''}`}
              // A toggle keeps its name; aria-pressed says whether it is on.
              aria-pressed={wished}
              aria-label={`Wishlist ${product.name}`}
              data-testid={`wish-${product.sku}`}
              onClick={() =>
                track(wished ? wishlist.remove(product.sku) : wishlist.add(product.sku))
              }
            >
              {wished ? '♥' : '♡'}
            </button>
            <ProductArt product={product} />
            <h3 id={`name-${product.sku}`}>{product.name}</h3>
            <p className="blurb">{product.blurb}</p>
            <div className="buy">
              <span className="price">{formatPrice(product.price)}</span>
              <button
                type="button"
                className="primary"
                // The visible text is the same on every card: the product's name tells them apart.
                aria-describedby={`name-${product.sku}`}
                data-testid={`add-${product.sku}`}
                onClick={() =>
                  track(cart.update(product.sku, (line, me) => PNCounter.increment(line, me, 1)))
                }
              >
                {inCart > 0 ? `In cart · ${inCart}` : 'Add to cart'}
              </button>
            </div>
          </article>
        );
      })}
    </section>
  );
}
