import type { ElementSetHandle, ORSetHandle } from '@helios/client';
import type { Key } from '@helios/core';
import { useCallback, useMemo } from 'react';
import type { DocumentView } from './use-document.js';

/**
 * A set's view whose `has` reads this render's snapshot (the handle's own `has` reads its
 * current value), so it changes identity with the value: what the set hooks share.
 */
export function useSetDocument<
  T extends Key,
  H extends ElementSetHandle<unknown, T> | ORSetHandle<T>,
>(view: DocumentView<H, ReadonlySet<T>>): DocumentView<H, ReadonlySet<T>> {
  const { value } = view;
  const has = useCallback((element: T) => value.has(element), [value]);
  return useMemo(() => ({ ...view, has }), [view, has]);
}
