import type { PresencePeer } from '@helios/client';
import type { Value } from '@helios/core';
import { useCallback, useEffect, useMemo, useSyncExternalStore } from 'react';
import { useHeliosClient } from './helios-provider.js';

/** What {@link usePresence} returns. */
export interface PresenceState<S extends Value> {
  /** The others on the document (never this client), each with its region and state. */
  readonly others: readonly PresencePeer<S>[];
  /** Shows `state` to the others (coalesced, refreshed; see `PresenceHandle.set`). */
  readonly set: (state: S) => void;
  /** Stops showing a state. */
  readonly clear: () => void;
}

const NOBODY: readonly PresencePeer<never>[] = Object.freeze([]);

/**
 * Who else is on document `doc` and what they show (docs/presence.md), re-rendering when that
 * changes. With `initial`, the component shows it from its mount on (read once, like
 * `useState`'s). The component's presence is cleared when it unmounts. The document must be
 * open (a hook of it rendered, or `client.open`): the relay takes presence only from its
 * subscribers.
 *
 * @example
 * const { others } = usePresence('cart', { device: 'phone' });
 * <p>Also here: {others.map((o) => o.region).join(', ')}</p>
 */
export function usePresence<S extends Value = Value>(doc: string, initial?: S): PresenceState<S> {
  const client = useHeliosClient();
  const handle = useMemo(() => client.presence<S>(doc), [client, doc]);
  const subscribe = useCallback(
    (onChange: () => void) => handle.subscribe(() => onChange()),
    [handle],
  );
  const getOthers = useCallback(() => handle.others, [handle]);
  const others = useSyncExternalStore(subscribe, getOthers, () => NOBODY);
  // biome-ignore lint/correctness/useExhaustiveDependencies: `initial` is read on mount only.
  useEffect(() => {
    if (initial !== undefined) handle.set(initial);
    return () => handle.clear();
  }, [handle]);
  const set = useCallback((state: S) => handle.set(state), [handle]);
  const clear = useCallback(() => handle.clear(), [handle]);
  return { others, set, clear };
}
