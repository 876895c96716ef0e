import { useReceipt, useSyncStatus } from '@helios/react';
import { useLastWrite } from '../last-write.js';

const LEVEL_TEXT = {
  pending: 'applied',
  local: 'saved locally',
  relay: 'synced to region',
  global: 'replicated to all regions',
  failed: 'not saved',
} as const;

/** `unreachable`: the client has been trying for a while and no region answered. */
export function SyncBadge({ unreachable }: { unreachable: boolean }) {
  const status = useSyncStatus();
  const { receipt } = useLastWrite();
  const level = useReceipt(receipt);
  return (
    <div
      className={`badge ${unreachable ? 'offline' : status.connection}`}
      data-testid="sync-badge"
      aria-live="polite"
    >
      <span className="dot" aria-hidden="true" />
      <span data-testid="connection">
        {unreachable ? 'offline — no region reachable' : status.connection}
      </span>
      <span className="sep" aria-hidden="true">
        ·
      </span>
      <span data-testid="region">{status.region ?? '—'}</span>
      <span className="sep" aria-hidden="true">
        ·
      </span>
      <span data-testid="pending">{status.pendingTotal} pending</span>
      {level && (
        <>
          <span className="sep" aria-hidden="true">
            ·
          </span>
          <span data-testid="last-write" data-level={level}>
            last write {LEVEL_TEXT[level]}
          </span>
        </>
      )}
      {status.storage.problem && (
        <span className="warn">storage: {status.storage.problem} (memory only)</span>
      )}
    </div>
  );
}
