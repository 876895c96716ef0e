import type { LWWMapHandle, Receipt } from '@helios/client';
import { type Key, LWWMap, type Value } from '@helios/core';
import type { DocumentHookOptions, DocumentSnapshot } from './use-document-value.js';
import { useDocumentWith } from './use-document-with.js';

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

/** The part of {@link LWWMapState} read from this render's value. */
function readMap<V extends Value>(value: ReadonlyMap<Key, V>): Pick<LWWMapState<V>, 'get'> {
  return { get: (key) => value.get(key) };
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
  return useDocumentWith<typeof LWWMap, V, Pick<LWWMapState<V>, 'get'>>(
    id,
    LWWMap,
    readMap,
    options,
  );
}
