import type { RWSetHandle } from '@helios/client';
import type { Key } from '@helios/core';
import { useMemo } from 'react';
import { useHeliosClient } from './helios-provider.js';
import type { SetState } from './set-state.js';
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
  const client = useHeliosClient();
  const handle = useMemo(() => client.rwSet<T>(id), [client, id]);
  return useSetDocument<T, RWSetHandle<T>>(handle, options);
}
