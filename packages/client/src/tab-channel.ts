/** A write as tabs share it: the document and the encoded delta. */
interface TabMessage {
  readonly doc: string;
  readonly delta: Uint8Array;
}

/**
 * The BroadcastChannel over which the tabs of one browser profile (one database name) share
 * their writes, so a write shows in the other tabs at once, without a round trip to the relay.
 */
export class TabChannel {
  readonly #channel: BroadcastChannel;

  constructor(dbName: string, onDelta: (doc: string, delta: Uint8Array) => void) {
    this.#channel = new BroadcastChannel(`helios:${dbName}`);
    this.#channel.onmessage = (event: MessageEvent<TabMessage>) =>
      onDelta(event.data.doc, event.data.delta);
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

  /** Shares a write, once it is durable: a dot never leaves before its delta is stored. */
  post(doc: string, delta: Uint8Array): void {
    this.#channel.postMessage({ doc, delta } satisfies TabMessage);
  }

  close(): void {
    this.#channel.close();
  }
}
