import type { AWSetHandle } from '@helios/client';
import { AWSet, type Key } from '@helios/core';
import { readSet, type SetState } from './set-state.js';
import type { DocumentHookOptions } from './use-document-value.js';
import { useDocumentWith } from './use-document-with.js';

/**
 * An add-wins set of `T`: an add concurrent with a remove of the same element wins (tags, members).
 *
 * @param id - The document id.
 * @param options - `suspense: true` suspends until the document has loaded.
 */
export function useAWSet<T extends Key>(
  id: string,
  options?: DocumentHookOptions,
): SetState<T, AWSetHandle<T>> {
  return useDocumentWith<typeof AWSet, T, Pick<SetState<T, never>, 'has'>>(
    id,
    AWSet,
    readSet,
    options,
  );
}
