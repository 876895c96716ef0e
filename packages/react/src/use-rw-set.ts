import type { RWSetHandle } from '@helios/client';
import { type Key, RWSet } from '@helios/core';
import type { SetState } from './set-state.js';
import { useDocument } from './use-document.js';
import type { DocumentHookOptions } from './use-document-value.js';
import { useSetDocument } from './use-set-document.js';

/**
 * A remove-wins set of `T`: a remove concurrent with an add of the same element wins (blocklists).
 *
 * @param id - The document id.
 * @param options - `suspense: true` suspends until the document has loaded.
 */
export function useRWSet<T extends Key>(
  id: string,
  options?: DocumentHookOptions,
): SetState<T, RWSetHandle<T>> {
  return useSetDocument<T, RWSetHandle<T>>(
    useDocument<typeof RWSet, T>(id, RWSet, undefined, options),
  );
}
