import type { AWSetHandle } from '@helios/client';
import type { Key } from '@helios/core';
import { useCallback, useMemo } from 'react';
import { useHeliosClient } from './helios-provider.js';
import type { SetState } from './set-state.js';
import { type DocumentHookOptions, useDocumentValue } from './use-document-value.js';

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
  const client = useHeliosClient();
  const handle = useMemo(() => client.awSet<T>(id), [client, id]);
  const snapshot = useDocumentValue(handle, options);
  // The handle's `value` is typed by the CRDT (`Key`/`Value`), not by `T`: narrow it here.
  const value = snapshot.value as unknown as ReadonlySet<T>;
  const loaded = snapshot.loaded;
  const has = useCallback((element: T) => value.has(element), [value]);
  const actions = useMemo(
    () => ({
      add: (element: T) => handle.add(element),
      remove: (element: T) => handle.remove(element),
    }),
    [handle],
  );
  return useMemo(
    () => ({ value, loaded, handle, has, ...actions }),
    [value, loaded, handle, has, actions],
  );
}
