import type { Dot } from '@helios/core';

/** A write as tabs share it: the document, the encoded delta, and the dot it minted, if any. */
export interface TabWrite {
  readonly doc: string;
  readonly delta: Uint8Array;
  readonly dot?: Dot | undefined;
}

/**
 * The own writes of one commit of tab `tab`, numbered `commit` (increasing per tab). `stored`:
 * posted once they were durable. Otherwise they were posted as their transaction started, and a
 * {@link TabSettled} follows; `slot` names the Web Lock the tab holds while it writes as its
 * replica slot, and `tabLock` one it holds for its life (see `OtherTabWrites`).
 */
export interface TabWrites {
  readonly kind: 'writes';
  readonly tab: string;
  readonly commit: number;
  readonly writes: readonly TabWrite[];
  readonly stored: boolean;
  readonly slot?: string;
  readonly tabLock?: string;
}

/**
 * The commits of tab `tab` up to `commit` are over: stored, or failed for good, in which case
 * the writes stay in that tab's memory only, as they do in the others'.
 */
export interface TabSettled {
  readonly kind: 'settled';
  readonly tab: string;
  readonly commit: number;
}

export type TabMessage = TabWrites | TabSettled;

/**
 * The channel's name for database `dbName`. Tabs of a release that posted its writes only once
 * stored (`helios:<dbName>:writes`) and tabs of this one do not hear each other: during an
 * upgrade, their writes reach each other through the relay.
 */
export function tabChannelName(dbName: string): string {
  return `helios:${dbName}:tabs`;
}

/**
 * The BroadcastChannel over which the tabs of one browser profile (one database name) share
 * their writes, so a write shows in the other tabs at once, without a round trip to the relay.
 * Only messages; what they mean for the receiving tab is `OtherTabWrites`'.
 */
export class TabChannel {
  readonly #channel: BroadcastChannel;

  constructor(dbName: string, onMessage: (message: TabMessage) => void) {
    this.#channel = new BroadcastChannel(tabChannelName(dbName));
    this.#channel.onmessage = (event: MessageEvent<unknown>) => {
      // Anything else (no tab of this profile posts it): skipped.
      const message = asTabMessage(event.data);
      if (message !== undefined) onMessage(message);
    };
  }

  /**
   * One message per commit, not per write: each `postMessage` costs the posting thread a
   * structured clone and a message to the browser process (0.1–1.5 ms in Chromium on a loaded
   * machine, see docs/benchmarks.md), and the other tabs one task each.
   */
  post(message: TabMessage): void {
    this.#channel.postMessage(message);
  }

  close(): void {
    this.#channel.close();
  }
}

/** `data` if it has the shape of a {@link TabMessage}, else undefined. */
function asTabMessage(data: unknown): TabMessage | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const m = data as Partial<TabWrites> & Partial<TabSettled>;
  if (typeof m.tab !== 'string' || typeof m.commit !== 'number') return undefined;
  if (m.kind === 'settled') return m as TabSettled;
  if (m.kind !== 'writes' || !Array.isArray(m.writes) || typeof m.stored !== 'boolean') return;
  const writesOk = m.writes.every(
    (w: Partial<TabWrite> | null) => typeof w?.doc === 'string' && w.delta instanceof Uint8Array,
  );
  return writesOk ? (m as TabWrites) : undefined;
}
