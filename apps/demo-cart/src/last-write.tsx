import type { Receipt } from '@helios/client';
import { createContext, type ReactNode, useCallback, useContext, useMemo, useState } from 'react';

interface LastWrite {
  readonly receipt: Receipt | undefined;
  /** Records a write's receipt as the last one, and returns it. */
  readonly track: (receipt: Receipt) => Receipt;
}

const LastWriteContext = createContext<LastWrite>({ receipt: undefined, track: (r) => r });

/** Remembers the newest write of this tab, so the sync badge can follow its receipt. */
export function LastWriteProvider({ children }: { children: ReactNode }) {
  const [receipt, setReceipt] = useState<Receipt>();
  const track = useCallback((r: Receipt) => {
    setReceipt(r);
    return r;
  }, []);
  const value = useMemo(() => ({ receipt, track }), [receipt, track]);
  return <LastWriteContext.Provider value={value}>{children}</LastWriteContext.Provider>;
}

export function useLastWrite(): LastWrite {
  return useContext(LastWriteContext);
}
