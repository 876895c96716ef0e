/** The demo user's documents. Every tab, browser and region shares them: that is the point. */
export const DOCS = {
  cart: 'demo:cart',
  wishlist: 'demo:wishlist',
  giftNote: 'demo:gift-note',
} as const;
