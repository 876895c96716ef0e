import type { HandleOf } from '@helios/client';
import type { AnyCrdtType, Value } from '@helios/core';
import { useMemo } from 'react';
import { type DocumentView, useDocument, type ValueOfHandle } from './use-document.js';
import type { DocumentHookOptions } from './use-document-value.js';

/**
 * {@link useDocument} plus what `read` derives from this render's value (a set's `has`, a map's
 * `get`): the typed hooks whose result has more than the handle's methods. The derived part
 * changes identity with the value only; `read` must be a module constant.
 */
export function useDocumentWith<T extends AnyCrdtType, E extends Value, X extends object>(
  id: string,
  type: T,
  read: (value: ValueOfHandle<HandleOf<T, E>>) => X,
  options?: DocumentHookOptions,
): DocumentView<HandleOf<T, E>, ValueOfHandle<HandleOf<T, E>>> & X {
  const view = useDocument<T, E>(id, type, undefined, options);
  const { value } = view;
  const derived = useMemo(() => read(value), [read, value]);
  return useMemo(() => ({ ...view, ...derived }), [view, derived]);
}
