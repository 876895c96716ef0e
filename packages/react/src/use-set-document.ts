import type { ElementSetHandle } from '@helios/client';
import type { Key } from '@helios/core';
import { useCallback, useMemo } from 'react';
import type { SetState } from './set-state.js';
import type { DocumentView } from './use-document.js';

/** The part of useAWSet and useRWSet that does not depend on the set's semantics. */
export function useSetDocument<T extends Key, H extends ElementSetHandle<unknown, T>>({
  value,
  loaded,
  handle,
}: DocumentView<H, ReadonlySet<T>>): SetState<T, H> {
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
