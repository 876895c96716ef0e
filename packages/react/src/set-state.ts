import type { Receipt } from '@helios/client';
import type { Key } from '@helios/core';
import type { DocumentSnapshot } from './use-document-value.js';

/**
 * What the set hooks ({@link useAWSet}, {@link useRWSet}, {@link useORSet}) return.
 *
 * @typeParam T - The element type.
 * @typeParam H - The document's handle type.
 * @typeParam Added - What `add` returns: a receipt, or for an OR-Set the receipt and the tag.
 */
export interface SetState<T extends Key, H, Added = Receipt>
  extends DocumentSnapshot<ReadonlySet<T>> {
  /** Whether `element` is in this render's snapshot. Changes identity with the value. */
  readonly has: (element: T) => boolean;
  /** Adds `element`. Stable across renders. */
  readonly add: (element: T) => Added;
  /** Removes `element` as this replica sees it. Stable across renders. */
  readonly remove: (element: T) => Receipt;
  /** The document's handle, for anything the hook does not cover. */
  readonly handle: H;
}

/** The part of {@link SetState} read from this render's value, not the handle's current one. */
export function readSet<T extends Key>(value: ReadonlySet<T>): Pick<SetState<T, never>, 'has'> {
  return { has: (element) => value.has(element) };
}
