import { useReceipt, useSyncStatus } from '@helios/react';
import { useLastWrite } from '../last-write.js';

const LEVEL_TEXT = {
  pending: 'applied',
  local: 'saved locally',
  relay: 'synced to region',
  global: 'replicated to all regions',
  failed: 'not saved',
} as const;

export function SyncBadge() {
  const status = useSyncStatus();
  const { receipt } = useLastWrite();
  const level = useReceipt(receipt);
  return (
    <div className={`badge ${status.connection}`} data-testid="sync-badge" aria-live="polite">
      <span className="dot" />
      <span data-testid="connection">{status.connection}</span>
      <span className="sep">·</span>
      <span data-testid="region">{status.region ?? '—'}</span>
      <span className="sep">·</span>
      <span data-testid="pending">{status.pendingTotal} pending</span>
      {level && (
        <>
          <span className="sep">·</span>
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
