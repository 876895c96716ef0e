import type { QuantityHandle, Receipt } from '@helios/client';
import { Quantity } from '@helios/core';
import { useDocument } from './use-document.js';
import type { DocumentHookOptions, DocumentSnapshot } from './use-document-value.js';

/** What {@link useQuantity} returns. */
export interface QuantityState extends DocumentSnapshot<number> {
  /** Adds `by` units (default 1). Stable across renders. */
  readonly increment: (by?: number) => Receipt;
  /**
   * Takes away `by` units (default 1). Beyond the value it applies nothing and the receipt has
   * failed (`quantity-below-zero`). Stable across renders.
   */
  readonly decrement: (by?: number) => Receipt;
  /** Takes away every unit this replica sees. Stable across renders. */
  readonly reset: () => Receipt;
  /** The document's handle, for anything the hook does not cover. */
  readonly handle: QuantityHandle;
}

/**
 * A quantity (seats of a booking): a small count that never goes below zero, and mutators that
 * apply at once. For cart lines, `useCrdtMap(id, Quantity)`.
 *
 * @param id - The document id.
 * @param options - `suspense: true` suspends until the document has loaded.
 * @example const { value, increment, decrement } = useQuantity('seats');
 */
export function useQuantity(id: string, options?: DocumentHookOptions): QuantityState {
  return useDocument(id, Quantity, undefined, options);
}
