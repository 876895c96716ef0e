import type { LWWMapHandle, Receipt } from '@helios/client';
import { type Key, LWWMap, type Value } from '@helios/core';
import { useCallback, useMemo } from 'react';
import { useDocument } from './use-document.js';
import type { DocumentHookOptions, DocumentSnapshot } from './use-document-value.js';

/** What {@link useLWWMap} returns. */
export interface LWWMapState<V extends Value> extends DocumentSnapshot<ReadonlyMap<Key, V>> {
  /** The value at `key` in this render's snapshot. Changes identity with the value. */
  readonly get: (key: Key) => V | undefined;
  /** Writes `value` at `key`; the last writer wins per key. Stable across renders. */
  readonly set: (key: Key, value: V) => Receipt;
  /** Removes `key`. Stable across renders. */
  readonly delete: (key: Key) => Receipt;
  /** The document's handle, for anything the hook does not cover. */
  readonly handle: LWWMapHandle<V>;
}

/**
 * A last-writer-wins map from keys to `V` (settings, profiles).
 *
 * @param id - The document id.
 * @param options - `suspense: true` suspends until the document has loaded.
 * @example const { get, set } = useLWWMap<string>('settings'); set('theme', 'dark');
 */
export function useLWWMap<V extends Value>(
  id: string,
  options?: DocumentHookOptions,
): LWWMapState<V> {
  const view = useDocument<typeof LWWMap, V>(id, LWWMap, undefined, options);
  // `get` reads this render's snapshot, so it changes identity with the value.
  const { value } = view;
  const get = useCallback((key: Key) => value.get(key), [value]);
  return useMemo(() => ({ ...view, get }), [view, get]);
}
