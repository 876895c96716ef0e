import type { RWSetHandle } from '@helios/client';
import { type Key, RWSet } from '@helios/core';
import { readSet, type SetState } from './set-state.js';
import type { DocumentHookOptions } from './use-document-value.js';
import { useDocumentWith } from './use-document-with.js';

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
  return useDocumentWith<typeof RWSet, T, Pick<SetState<T, never>, 'has'>>(
    id,
    RWSet,
    readSet,
    options,
  );
}
