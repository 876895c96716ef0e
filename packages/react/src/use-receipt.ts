import type { DurabilityLevel, Receipt } from '@helios/client';
import { useCallback, useSyncExternalStore } from 'react';

/**
 * Where a write stands: the level it reached (`pending` → `local` → `relay` → `global`), or
 * `failed` once it cannot go further (`receipt.error` says why: a relay refusal is a
 * `RefusedWriteError` with the relay's code; the write stays applied locally).
 */
export type ReceiptStatus = DurabilityLevel | 'failed';

/**
 * How far a write has travelled, re-rendering as it moves: `pending` → `local` → `relay` →
 * `global`, or `failed` (see {@link ReceiptStatus}); `undefined` when there is no receipt (e.g.
 * before the first write).
 *
 * @param receipt - A receipt a mutator returned, or `undefined`.
 * @example
 * const [receipt, setReceipt] = useState<Receipt>();
 * const status = useReceipt(receipt);
 * <button onClick={() => setReceipt(increment())}>+1</button>
 * {status === 'relay' && '✓'}
 * {status === 'failed' && `not saved: ${receipt?.error?.message}`}
 */
export function useReceipt(receipt: Receipt | undefined): ReceiptStatus | undefined {
  const subscribe = useCallback(
    (onChange: () => void) => receipt?.subscribe(() => onChange()) ?? (() => {}),
    [receipt],
  );
  const getStatus = useCallback(
    (): ReceiptStatus | undefined =>
      receipt === undefined ? undefined : receipt.error ? 'failed' : receipt.level,
    [receipt],
  );
  return useSyncExternalStore(subscribe, getStatus, getStatus);
}
