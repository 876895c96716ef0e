/** A write as tabs share it: the document and the encoded delta. */
export interface TabWrite {
  readonly doc: string;
  readonly delta: Uint8Array;
}

/** What tabs post: the own writes of one commit, in commit order. */
interface TabMessage {
  readonly writes: readonly TabWrite[];
}

/**
 * The channel's name for database `dbName`. Tabs of a release that posted one write per message
 * (`{ doc, delta }`, on `helios:<dbName>`) and tabs of this one do not hear each other: during
 * an upgrade, their writes reach each other through the relay.
 */
export function tabChannelName(dbName: string): string {
  return `helios:${dbName}:writes`;
}

/**
 * The BroadcastChannel over which the tabs of one browser profile (one database name) share
 * their writes, so a write shows in the other tabs at once, without a round trip to the relay.
 */
export class TabChannel {
  readonly #channel: BroadcastChannel;

  constructor(dbName: string, onDelta: (doc: string, delta: Uint8Array) => void) {
    this.#channel = new BroadcastChannel(tabChannelName(dbName));
    this.#channel.onmessage = (event: MessageEvent<Partial<TabMessage> | null>) => {
      // Anything else (no tab of this profile posts it): skipped.
      const writes = event.data?.writes;
      if (!Array.isArray(writes)) return;
      for (const w of writes) onDelta(w.doc, w.delta);
    };
  }

  /** A channel if `enabled` (default: where BroadcastChannel exists), else undefined. */
  static open(
    dbName: string,
    enabled: boolean | undefined,
    onDelta: (doc: string, delta: Uint8Array) => void,
  ): TabChannel | undefined {
    const on = enabled ?? typeof BroadcastChannel !== 'undefined';
    return on ? new TabChannel(dbName, onDelta) : undefined;
  }

  /**
   * Shares the own writes of one commit, once they are durable: a dot never leaves before its
   * delta is stored. One message per commit, not per write: each `postMessage` costs the
   * posting thread a structured clone and a message to the browser process (0.3–0.8 ms at p50
   * in Chromium on a loaded machine, see docs/benchmarks.md), and the other tabs one task each.
   */
  post(writes: readonly TabWrite[]): void {
    if (writes.length === 0) return;
    this.#channel.postMessage({ writes } satisfies TabMessage);
  }

  close(): void {
    this.#channel.close();
  }
}
