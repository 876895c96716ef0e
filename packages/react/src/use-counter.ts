import type { CounterHandle, Receipt } from '@helios/client';
import { PNCounter } from '@helios/core';
import { useDocument } from './use-document.js';
import type { DocumentHookOptions, DocumentSnapshot } from './use-document-value.js';

/** What {@link useCounter} returns. */
export interface CounterState extends DocumentSnapshot<number> {
  /** Adds `by` (default 1). Stable across renders. */
  readonly increment: (by?: number) => Receipt;
  /** Subtracts `by` (default 1). Stable across renders. */
  readonly decrement: (by?: number) => Receipt;
  /** The document's handle, for anything the hook does not cover. */
  readonly handle: CounterHandle;
}

/**
 * A PN-Counter (likes, quantities): its value, and mutators that apply at once.
 *
 * @param id - The document id.
 * @param options - `suspense: true` suspends until the document has loaded.
 * @example const { value, increment } = useCounter('likes');
 */
export function useCounter(id: string, options?: DocumentHookOptions): CounterState {
  return useDocument(id, PNCounter, undefined, options);
}
