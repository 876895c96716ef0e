import type { GCounterHandle, Receipt } from '@helios/client';
import { GCounter } from '@helios/core';
import { useDocument } from './use-document.js';
import type { DocumentHookOptions, DocumentSnapshot } from './use-document-value.js';

/** What {@link useGCounter} returns. */
export interface GCounterState extends DocumentSnapshot<number> {
  /** Adds `by` (default 1). Stable across renders. */
  readonly increment: (by?: number) => Receipt;
  /** The document's handle, for anything the hook does not cover. */
  readonly handle: GCounterHandle;
}

/**
 * A grow-only counter (page views, downloads).
 *
 * @param id - The document id.
 * @param options - `suspense: true` suspends until the document has loaded.
 */
export function useGCounter(id: string, options?: DocumentHookOptions): GCounterState {
  return useDocument(id, GCounter, undefined, options);
}
