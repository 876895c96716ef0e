import type { MVRegisterHandle, Receipt } from '@helios/client';
import { MVRegister, type Value } from '@helios/core';
import type { DocumentHookOptions } from './use-document-value.js';
import { useDocumentWith } from './use-document-with.js';

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
 * The part of {@link MVRegisterState} read from this render's value: derived from the snapshot,
 * not `handle.conflicted`, which may be newer.
 */
function readVersions<T extends Value>(
  values: readonly T[],
): Pick<MVRegisterState<T>, 'values' | 'conflicted'> {
  return { values, conflicted: values.length > 1 };
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
  return useDocumentWith<typeof MVRegister, T, Pick<MVRegisterState<T>, 'values' | 'conflicted'>>(
    id,
    MVRegister,
    readVersions,
    options,
  );
}
