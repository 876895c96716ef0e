import type { DurabilityLevel, Receipt } from '@helios/client';
import { useCallback, useSyncExternalStore } from 'react';

/**
 * How far a write has travelled: `pending` → `local` → `relay` → `global`, re-rendering as it
 * moves; `undefined` when there is no receipt (e.g. before the first write).
 *
 * @param receipt - A receipt a mutator returned, or `undefined`.
 * @example
 * const [receipt, setReceipt] = useState<Receipt>();
 * const level = useReceipt(receipt);
 * <button onClick={() => setReceipt(increment())}>+1</button> {level === 'relay' && '✓'}
 */
export function useReceipt(receipt: Receipt | undefined): DurabilityLevel | undefined {
  const subscribe = useCallback(
    (onChange: () => void) => receipt?.subscribe(() => onChange()) ?? (() => {}),
    [receipt],
  );
  const getLevel = useCallback(() => receipt?.level, [receipt]);
  return useSyncExternalStore(subscribe, getLevel, getLevel);
}
