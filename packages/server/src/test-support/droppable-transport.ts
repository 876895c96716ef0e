import type { PeerAuth } from '@helios/core/protocol';
import type { Transport, TransportConnection, TransportEvents } from '@helios/transport';

/**
 * A peer transport that hands every dial to `inner`, counts the dials, and can end every open
 * connection from the network's side ({@link dropAll}): the links see them closed and redial.
 * A subclass sees each message received before the link does ({@link tapMessage}).
 */
export class DroppableTransport implements Transport<PeerAuth> {
  readonly #inner: Transport<PeerAuth>;
  readonly #open = new Set<{ connection: TransportConnection; events: TransportEvents }>();
  dials = 0;

  constructor(inner: Transport<PeerAuth>) {
    this.#inner = inner;
  }

  connect(url: string, hello: PeerAuth, events: TransportEvents): TransportConnection {
    this.dials++;
    const entry = {
      events,
      connection: this.#inner.connect(url, hello, {
        message: (bytes) => {
          this.tapMessage(bytes);
          events.message(bytes);
        },
        refused: (error) => events.refused(error),
        closed: () => {
          this.#open.delete(entry);
          events.closed();
        },
      }),
    };
    this.#open.add(entry);
    return {
      get connected() {
        return entry.connection.connected;
      },
      send: (bytes) => entry.connection.send(bytes),
      close: () => {
        this.#open.delete(entry);
        entry.connection.close();
      },
    };
  }

  probe(url: string): Promise<boolean> {
    return this.#inner.probe(url);
  }

  /** A message from the peer, before the link gets it. */
  protected tapMessage(_bytes: Uint8Array): void {}

  /** Ends every open connection from the network's side: the links see them closed. */
  dropAll(): void {
    for (const entry of this.#open) {
      this.#open.delete(entry);
      entry.connection.close();
      entry.events.closed();
    }
  }
}
