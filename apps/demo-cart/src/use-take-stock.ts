import { Quantity } from '@helios/core';
import { useBoundedCounter, useCrdtMap, useHeliosClient } from '@helios/react';
import { useCallback, useState } from 'react';
import { DOCS, stockDoc } from './documents.js';
import { useLastWrite } from './last-write.js';
import { takeUnit } from './take-unit.js';

/** One product's stock as the shop shows it, and the add-to-cart that takes from it. */
export interface StockedProduct {
  /** Units left everywhere (the counter's value). */
  readonly inStock: number;
  /** The last add found no stock to take here: nothing was added. */
  readonly refused: boolean;
  /**
   * No add now: the cart or the stock is still loading, or an add is taking its unit (from the
   * relay, maybe from another region through it).
   */
  readonly busy: boolean;
  /** Takes one unit of stock, then adds it to the cart; adds nothing if no unit could be had. */
  readonly add: () => Promise<void>;
}

/**
 * Stock first, cart second: a unit goes in the cart only once this tab holds it, so however
 * many shoppers in however many regions click at once, no more are sold than were in stock.
 */
export function useTakeStock(sku: string): StockedProduct {
  const stock = useBoundedCounter(stockDoc(sku));
  const cart = useCrdtMap(DOCS.cart, Quantity);
  const { track } = useLastWrite();
  const [refused, setRefused] = useState(false);
  const [busy, setBusy] = useState(false);
  const client = useHeliosClient();
  const { handle } = stock;
  const { update } = cart;
  const add = useCallback(async () => {
    setBusy(true);
    setRefused(false);
    const online = () => client.status.connection === 'online';
    const taken = await takeUnit(handle, online).finally(() => setBusy(false));
    // `insufficient-rights`: neither this tab, its region's relay nor a peer region it reached
    // held a unit (or the tab is offline without a lease). Nothing was taken, nothing is added.
    setRefused(taken.error !== undefined);
    if (taken.error !== undefined) return;
    track(taken);
    track(update(sku, (line, me) => Quantity.increment(line, me, 1)));
  }, [client, handle, update, sku, track]);
  // The cart must be loaded for its write to apply in the take's task (see return-stock.ts).
  const ready = stock.loaded && cart.loaded;
  return { inStock: stock.value, refused, busy: busy || !ready, add };
}
