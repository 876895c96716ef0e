import type { Product } from '../catalog.js';

/**
 * A small flat illustration per product kind, so the shop looks like a shop without images.
 * Decorative: the product's name is in the card's heading right below.
 */
export function ProductArt({ product }: { product: Product }) {
  const [dark, light] = product.colors;
  return (
    <svg viewBox="0 0 120 90" className="art" aria-hidden="true">
      <rect width="120" height="90" rx="10" fill={light} opacity="0.35" />
      {product.kind === 'bag' && (
        <g>
          <path d="M38 20h44l6 58H32z" fill={dark} />
          <rect x="44" y="40" width="32" height="22" rx="3" fill={light} />
          <path d="M38 20l6-8h32l6 8" fill={dark} opacity="0.8" />
        </g>
      )}
      {product.kind === 'mug' && (
        <g>
          <rect x="34" y="26" width="42" height="46" rx="6" fill={dark} />
          <path d="M76 36h8a10 10 0 010 20h-8" stroke={dark} strokeWidth="6" fill="none" />
          <rect x="38" y="30" width="34" height="6" rx="3" fill={light} />
        </g>
      )}
      {product.kind === 'grinder' && (
        <g>
          <rect x="46" y="30" width="28" height="44" rx="4" fill={dark} />
          <path d="M42 18h36l-6 12H48z" fill={light} stroke={dark} strokeWidth="3" />
          <rect x="52" y="58" width="16" height="10" fill={light} />
        </g>
      )}
      {product.kind === 'kettle' && (
        <g>
          <path d="M36 70c0-20 8-36 24-36s24 16 24 36z" fill={dark} />
          <path d="M36 50c-10-2-16-10-20-22" stroke={dark} strokeWidth="4" fill="none" />
          <rect x="52" y="26" width="16" height="8" rx="3" fill={light} />
        </g>
      )}
      {product.kind === 'press' && (
        <g>
          <rect
            x="42"
            y="26"
            width="34"
            height="48"
            rx="3"
            fill={light}
            stroke={dark}
            strokeWidth="4"
          />
          <rect x="44" y="46" width="30" height="26" fill={dark} opacity="0.8" />
          <rect x="57" y="12" width="4" height="16" fill={dark} />
          <circle cx="59" cy="12" r="5" fill={dark} />
        </g>
      )}
      {product.kind === 'filter' && (
        <g>
          <path d="M34 24h52L66 70H54z" fill={light} stroke={dark} strokeWidth="3" />
          <path d="M40 32h40" stroke={dark} strokeWidth="2" />
        </g>
      )}
    </svg>
  );
}
