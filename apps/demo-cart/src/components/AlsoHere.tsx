import { usePresence } from '@helios/react';
import { DOCS } from '../documents.js';

/**
 * The other devices on this cart right now, and the regions they are connected to: presence
 * (docs/presence.md), which the relays forward to every region and forget when a tab goes.
 */
export function AlsoHere() {
  const { others } = usePresence(DOCS.cart, { looking: 'cart' });
  if (others.length === 0) return null;
  const regions = [...new Set(others.map((o) => o.region))].sort();
  return (
    <p className="also-here" data-testid="also-here">
      Also here: {others.length} {others.length === 1 ? 'device' : 'devices'} — {regions.join(', ')}
    </p>
  );
}
