import type { ClientStatus } from '@helios/client';
import { useCallback, useSyncExternalStore } from 'react';
import { useHeliosClient } from './helios-provider.js';

/**
 * The client's status (connection, relay, writes pending per document, storage), re-rendering
 * when it changes. The snapshot is `client.status`, a new object only on a change.
 *
 * @example const { connection, pendingTotal } = useSyncStatus();
 */
export function useSyncStatus(): ClientStatus {
  const client = useHeliosClient();
  const subscribe = useCallback(
    (onChange: () => void) => {
      const subscription = client.status$.subscribe(() => onChange());
      return () => subscription.unsubscribe();
    },
    [client],
  );
  const getStatus = useCallback(() => client.status, [client]);
  return useSyncExternalStore(subscribe, getStatus, getStatus);
}
