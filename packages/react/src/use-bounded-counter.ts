import type { BoundedCounterHandle } from '@helios/client';
import { BoundedCounter } from '@helios/core';
import { useCallback, useMemo, useRef, useSyncExternalStore } from 'react';
import { useHeliosClient } from './helios-provider.js';
import { type DocumentView, useDocument } from './use-document.js';
import type { DocumentHookOptions } from './use-document-value.js';

/** Where a bounded counter's rights are, as this client sees them (see `BoundedCounterHandle`). */
export interface BoundedCounterRights {
  /** What can be spent here now: this client's rights and its region relay's. */
  readonly available: number;
  /** What this client may decrement or give away now, offline included. */
  readonly localRights: number;
  /** The rights this client drew from relays and has not spent or given back (its lease). */
  readonly leased: number;
}

/**
 * What {@link useBoundedCounter} returns: the value (the stock everywhere), the rights here, the
 * handle, and its mutators (`increment`, `decrement`, `take`, `draw`, `deposit`, `transfer`,
 * `release`), stable across renders.
 */
export type BoundedCounterView = DocumentView<BoundedCounterHandle, number> & BoundedCounterRights;

function sameRights(a: BoundedCounterRights, b: BoundedCounterRights): boolean {
  return a.available === b.available && a.localRights === b.localRights && a.leased === b.leased;
}

/**
 * A bounded counter with floor 0 (stock, seats, quotas): its value, and where its rights are.
 * The component re-renders when the value changes, and also when only the rights move (a
 * transfer, a draw, a lease given back leave the value as it was), or when the client learns
 * its replica or region (`available` counts the rights of the region's relay).
 *
 * @param id - The document id.
 * @param options - `suspense: true` suspends until the document has loaded.
 * @example
 * const stock = useBoundedCounter('stock:mug');
 * const buy = async () => (await stock.take(1)).error?.code; // 'insufficient-rights' when none
 * return <button disabled={stock.value === 0}>{stock.value} in stock</button>;
 */
export function useBoundedCounter(id: string, options?: DocumentHookOptions): BoundedCounterView {
  const view = useDocument(id, BoundedCounter, undefined, options);
  const rights = useRights(view.handle);
  return useMemo(() => ({ ...view, ...rights }), [view, rights]);
}

/**
 * The handle's rights, re-read after each change of the document and of the client's status
 * (a connection names the region; the replica is known once the client is ready). The snapshot
 * keeps its identity while the three numbers stay the same, so useSyncExternalStore skips
 * renders that would show nothing new.
 */
function useRights(handle: BoundedCounterHandle): BoundedCounterRights {
  const client = useHeliosClient();
  const last = useRef<{ handle: BoundedCounterHandle; rights: BoundedCounterRights }>(undefined);
  const subscribe = useCallback(
    (onChange: () => void) => {
      const off = handle.subscribe(onChange);
      const status = client.status$.subscribe(() => onChange());
      return () => {
        off();
        status.unsubscribe();
      };
    },
    [client, handle],
  );
  const read = useCallback((): BoundedCounterRights => {
    const now = {
      available: handle.available,
      localRights: handle.localRights,
      leased: handle.leased,
    };
    const cached = last.current;
    if (cached?.handle === handle && sameRights(cached.rights, now)) return cached.rights;
    last.current = { handle, rights: now };
    return now;
  }, [handle]);
  return useSyncExternalStore(subscribe, read, read);
}
