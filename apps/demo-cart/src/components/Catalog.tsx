import { Quantity } from '@helios/core';
import { useAWSet, useCrdtMap } from '@helios/react';
import { CATALOG, formatPrice, type Product } from '../catalog.js';
import { DOCS } from '../documents.js';
import { useLastWrite } from '../last-write.js';
import { useTakeStock } from '../use-take-stock.js';
import { ProductArt } from './ProductArt.js';

export function Catalog() {
  return (
    <section className="catalog" aria-label="Products">
      {CATALOG.map((product) => (
        <ProductCard key={product.sku} product={product} />
      ))}
    </section>
  );
}

function ProductCard({ product }: { product: Product }) {
  const cart = useCrdtMap(DOCS.cart, Quantity);
  const wishlist = useAWSet<string>(DOCS.wishlist);
  const { inStock, refused, busy, add } = useTakeStock(product.sku);
  const { track } = useLastWrite();
  const wished = wishlist.has(product.sku);
  const inCart = cart.value.get(product.sku) ?? 0;
  const soldOut = inStock === 0;
  return (
    <article
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
        onClick={() => track(wished ? wishlist.remove(product.sku) : wishlist.add(product.sku))}
      >
        {wished ? '♥' : '♡'}
      </button>
      <ProductArt product={product} />
      <h3 id={`name-${product.sku}`}>{product.name}</h3>
      <p className="blurb">{product.blurb}</p>
      <p className={`stock ${soldOut ? 'out' : ''}`} data-testid={`stock-${product.sku}`}>
        {soldOut ? 'Sold out' : `${inStock} in stock`}
      </p>
      {refused && (
        <p className="stock-refused" role="alert" data-testid={`refused-${product.sku}`}>
          {soldOut
            ? 'Sold out: the last ones went to other shoppers. Nothing was added.'
            : 'None left in your region right now (the rest is held elsewhere). Nothing was added.'}
        </p>
      )}
      <div className="buy">
        <span className="price">{formatPrice(product.price)}</span>
        <button
          type="button"
          className="primary"
          // The visible text is the same on every card: the product's name tells them apart.
          aria-describedby={`name-${product.sku}`}
          data-testid={`add-${product.sku}`}
          disabled={soldOut || busy}
          aria-busy={busy}
          onClick={() => void add()}
        >
          {inCart > 0 ? `In cart · ${inCart}` : 'Add to cart'}
        </button>
      </div>
    </article>
  );
}
