import type { CrdtMapHandle, Receipt } from '@helios/client';
import { type ClockedActor, type CrdtState, type CrdtType, type Key, orMap } from '@helios/core';
import { useDocument } from './use-document.js';
import type { DocumentHookOptions, DocumentSnapshot } from './use-document-value.js';

/** What {@link useCrdtMap} returns. */
export interface CrdtMapState<S, V> extends DocumentSnapshot<ReadonlyMap<Key, V>> {
  /** Applies a mutator of the value type to the CRDT at `key`. Stable across renders. */
  readonly update: (
    key: Key,
    mutator: (value: CrdtState<S>, actor: ClockedActor) => CrdtState<S>,
  ) => Receipt;
  /** Removes `key` as this replica sees it. Stable across renders. */
  readonly remove: (key: Key) => Receipt;
  /** The document's handle, for anything the hook does not cover. */
  readonly handle: CrdtMapHandle<S, V>;
}

/**
 * An OR-Map whose values are CRDTs of `valueType` (e.g. a cart: SKU → Quantity).
 *
 * @param id - The document id.
 * @param valueType - The CRDT type of the values, e.g. `PNCounter`; pass a module constant.
 * @param options - `suspense: true` suspends until the document has loaded.
 * @example
 * const cart = useCrdtMap('cart', Quantity);
 * cart.update('sku-1', (line, me) => Quantity.increment(line, me, 1));
 */
export function useCrdtMap<S, V>(
  id: string,
  valueType: CrdtType<S, V>,
  options?: DocumentHookOptions,
): CrdtMapState<S, V> {
  return useDocument(id, orMap(valueType), undefined, options);
}
