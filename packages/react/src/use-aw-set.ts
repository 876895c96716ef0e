import type { AWSetHandle } from '@helios/client';
import type { Key } from '@helios/core';
import { useMemo } from 'react';
import { useHeliosClient } from './helios-provider.js';
import type { SetState } from './set-state.js';
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
  const client = useHeliosClient();
  const handle = useMemo(() => client.awSet<T>(id), [client, id]);
  return useSetDocument<T, AWSetHandle<T>>(handle, options);
}
