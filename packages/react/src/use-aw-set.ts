import type { AWSetHandle } from '@helios/client';
import { AWSet, type Key } from '@helios/core';
import type { SetState } from './set-state.js';
import { useDocument } from './use-document.js';
import type { DocumentHookOptions } from './use-document-value.js';
import { useSetDocument } from './use-set-document.js';

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
  return useSetDocument<T, AWSetHandle<T>>(
    useDocument<typeof AWSet, T>(id, AWSet, undefined, options),
  );
}
