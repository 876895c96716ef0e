import type { Receipt, RegisterHandle } from '@helios/client';
import { LWWRegister, type Value } from '@helios/core';
import { useDocument } from './use-document.js';
import type { DocumentHookOptions, DocumentSnapshot } from './use-document-value.js';

/** What {@link useRegister} returns. */
export interface RegisterState<T extends Value> extends DocumentSnapshot<T | undefined> {
  /** Writes `value`; the last writer wins. Stable across renders. */
  readonly set: (value: T) => Receipt;
  /** The document's handle, for anything the hook does not cover. */
  readonly handle: RegisterHandle<T>;
}

/**
 * A last-writer-wins register holding a `T` (`undefined` until first written).
 *
 * @param id - The document id.
 * @param options - `suspense: true` suspends until the document has loaded.
 * @example const { value: title, set: setTitle } = useRegister<string>('doc-title');
 */
export function useRegister<T extends Value>(
  id: string,
  options?: DocumentHookOptions,
): RegisterState<T> {
  return useDocument<typeof LWWRegister, T>(id, LWWRegister, undefined, options);
}
