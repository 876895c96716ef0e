import type { TransportConnection } from '@helios/transport';
import type { QuicDialEvents } from './quic-dial-events.js';

/** One QUIC dial, as {@link RenewingQuicConnection} starts it. */
export type QuicDial = (events: QuicDialEvents) => TransportConnection;

/**
 * A QUIC peer link's connection that replaces itself once the listener says it migrated.
 *
 * A link survives its dialer's address changing (a NAT rebinding it) without reconnecting: the
 * listener sends to where the packets now come from. But the library issues no spare
 * connection ids, and a connection that migrated once cannot migrate again: the next rebinding
 * would leave it silent until its idle timeout. So the listener, seeing the address change,
 * tells the dialer (`pathChanged`), and this opens a second connection beside the first, make
 * before break: once the new one is welcomed, its `welcome` goes to the link (which asks for
 * the feed again from its durable cursor, as after any new connection) and the old one is
 * closed. Until then everything goes on over the old one; a renewal that fails leaves it as it
 * is, and the next hint tries again.
 *
 * To the link it is one connection: `closed` and `refused` are those of the connection in use,
 * never of a renewal.
 */
export class RenewingQuicConnection implements TransportConnection {
  readonly #dial: QuicDial;
  readonly #events: QuicDialEvents;
  #current: TransportConnection;
  /** The renewal under way, not welcomed yet. */
  #next: TransportConnection | undefined;
  #closed = false;

  constructor(dial: QuicDial, events: QuicDialEvents) {
    this.#dial = dial;
    this.#events = events;
    const first: TransportConnection = dial({
      message: (bytes) => this.#events.message(bytes),
      closed: () => this.#ended(first),
      refused: (error) => {
        if (this.#current === first) this.#events.refused(error);
      },
      pathChanged: () => this.#renew(),
    });
    this.#current = first;
  }

  get connected(): boolean {
    return this.#current.connected;
  }

  send(bytes: Uint8Array): void {
    this.#current.send(bytes);
  }

  close(): void {
    this.#closed = true;
    this.#next?.close();
    this.#next = undefined;
    this.#current.close();
  }

  /** Opens the replacement, unless one is on its way already. */
  #renew(): void {
    if (this.#closed || this.#next !== undefined) return;
    let welcomed = false;
    const next = this.#dial({
      message: (bytes) => {
        if (!welcomed) {
          // Its first message is its welcome: the new connection takes over.
          welcomed = true;
          if (this.#next !== next) return;
          const old = this.#current;
          this.#current = next;
          this.#next = undefined;
          old.close();
        }
        if (this.#current === next) this.#events.message(bytes);
      },
      closed: () => this.#ended(next),
      refused: () => {
        if (this.#next === next) this.#next = undefined;
      },
      pathChanged: () => this.#renew(),
    });
    this.#next = next;
  }

  /** `connection` ended: the link hears of it if it was the one in use. */
  #ended(connection: TransportConnection): void {
    if (this.#next === connection) this.#next = undefined;
    else if (this.#current === connection && !this.#closed) this.#events.closed();
  }
}
