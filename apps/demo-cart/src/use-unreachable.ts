import { useSyncStatus } from '@helios/react';
import { useEffect, useState } from 'react';

/**
 * How long the client may stay `connecting` before the tab says no region is reachable: longer
 * than a failover takes (well under a second when a region's relay is down), short enough not to
 * leave the shopper guessing.
 */
export const UNREACHABLE_AFTER_MS = 6_000;

/**
 * Whether the client has been trying to connect for {@link UNREACHABLE_AFTER_MS} without reaching
 * any region. The client reports `connecting` for as long as it retries, which alone would read
 * as "almost there" forever; any connection (or going offline on purpose) resets this.
 */
export function useUnreachable(): boolean {
  const { connection } = useSyncStatus();
  const [unreachable, setUnreachable] = useState(false);
  useEffect(() => {
    setUnreachable(false);
    if (connection !== 'connecting') return;
    const timer = setTimeout(() => setUnreachable(true), UNREACHABLE_AFTER_MS);
    return () => clearTimeout(timer);
  }, [connection]);
  return unreachable;
}
