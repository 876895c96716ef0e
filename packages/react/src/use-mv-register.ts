import type { MVRegisterHandle, Receipt } from '@helios/client';
import { MVRegister, type Value } from '@helios/core';
import { useMemo } from 'react';
import { useDocument } from './use-document.js';
import type { DocumentHookOptions } from './use-document-value.js';

/** What {@link useMVRegister} returns. */
export interface MVRegisterState<T extends Value> {
  /** Every concurrent version; one element when there is no conflict, none before a write. */
  readonly values: readonly T[];
  /** True when concurrent writes left more than one version. */
  readonly conflicted: boolean;
  /** True once the document has been read from local storage. */
  readonly loaded: boolean;
  /** Writes `value`, replacing the versions this replica has seen. Stable across renders. */
  readonly set: (value: T) => Receipt;
  /** Settles a conflict on `value`. Stable across renders. */
  readonly resolve: (value: T) => Receipt;
  /** The document's handle, for anything the hook does not cover. */
  readonly handle: MVRegisterHandle<T>;
}

/**
 * A multi-value register: keeps every concurrent write until one is chosen with `resolve`.
 *
 * @param id - The document id.
 * @param options - `suspense: true` suspends until the document has loaded.
 * @example
 * const { values, conflicted, resolve } = useMVRegister<string>('headline');
 * if (conflicted) return <Pick options={values} onPick={resolve} />;
 */
export function useMVRegister<T extends Value>(
  id: string,
  options?: DocumentHookOptions,
): MVRegisterState<T> {
  const {
    value: values,
    loaded,
    handle,
    set,
    resolve,
  } = useDocument<typeof MVRegister, T>(id, MVRegister, undefined, options);
  return useMemo(
    // Derived from this render's snapshot, not `handle.conflicted`, which may be newer.
    () => ({ values, conflicted: values.length > 1, loaded, handle, set, resolve }),
    [values, loaded, handle, set, resolve],
  );
}
