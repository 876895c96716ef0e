import type { RWSetHandle } from '@helios/client';
import type { Key } from '@helios/core';
import { useCallback, useMemo } from 'react';
import { useHeliosClient } from './helios-provider.js';
import type { SetState } from './set-state.js';
import { type DocumentHookOptions, useDocumentValue } from './use-document-value.js';

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
  const client = useHeliosClient();
  const handle = useMemo(() => client.rwSet<T>(id), [client, id]);
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
