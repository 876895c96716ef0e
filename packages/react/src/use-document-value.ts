import { useCallback, useMemo, useRef, useSyncExternalStore } from 'react';

/**
 * What the hooks need from a document handle: every handle of `@helios/client` fits, and so
 * does any object with the same synchronous snapshot and change notifications.
 */
export interface ObservableDocument<V> {
  /** The current value; the same object until the document changes. */
  readonly value: V;
  /** True once the document has been read from local storage. */
  readonly isLoaded: boolean;
  /** Resolves once the document has been read from local storage; the same promise every time. */
  readonly loaded: Promise<void>;
  /** Calls `listener` after every change; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void;
}

/** Options of the document hooks. */
export interface DocumentHookOptions {
  /**
   * Suspend until the document has loaded from local storage (the nearest `<Suspense>` shows
   * its fallback) instead of rendering the type's empty value first. Default false.
   */
  readonly suspense?: boolean;
}

/** A document's value as one render sees it. */
export interface DocumentSnapshot<V> {
  /** The current value: the type's empty value until the document has loaded. */
  readonly value: V;
  /** True once the document has been read from local storage. */
  readonly loaded: boolean;
}

/**
 * Reads a handle's value, or the slice of it `selector` picks, and re-renders when that changes,
 * through `useSyncExternalStore`. The snapshot is the handle's memoized `value`, so without a
 * selector a component re-renders only when the value it reads is a new one; with one, only
 * when the selected slice differs (`Object.is`). Every document hook is built on it; use it
 * directly for a handle you opened yourself.
 *
 * @param handle - The document to read, e.g. `client.counter('likes')`; keep it stable.
 * @param options - `suspense: true` suspends until the document has loaded.
 * @param selector - Picks what the component reads; may change between renders.
 */
export function useDocumentValue<V, R = V>(
  handle: ObservableDocument<V>,
  options: DocumentHookOptions = {},
  selector?: (value: V) => R,
): DocumentSnapshot<R> {
  // The last value read, the selector that read it and its result: a new document value whose
  // slice is equal keeps the old result, and useSyncExternalStore then skips the render.
  const last = useRef<{ source: V; selector: typeof selector; result: R } | undefined>(undefined);
  const subscribe = useCallback((onChange: () => void) => handle.subscribe(onChange), [handle]);
  const getValue = useCallback((): R => {
    const source = handle.value;
    const cached = last.current;
    if (cached && cached.source === source && cached.selector === selector) return cached.result;
    const picked = selector ? selector(source) : (source as unknown as R);
    const result = cached && Object.is(cached.result, picked) ? cached.result : picked;
    last.current = { source, selector, result };
    return result;
  }, [handle, selector]);
  const getLoaded = useCallback(() => handle.isLoaded, [handle]);
  // Separate snapshots: loading an empty counter changes `isLoaded` but not `value` (0 → 0).
  const value = useSyncExternalStore(subscribe, getValue, getValue);
  const loaded = useSyncExternalStore(subscribe, getLoaded, getLoaded);
  const snapshot = useMemo(() => ({ value, loaded }), [value, loaded]);
  // The handle keeps one `loaded` promise, so React retries once, when it settles.
  if (options.suspense && !loaded) throw handle.loaded;
  return snapshot;
}
