import type { PeerAuth } from '@helios/core/protocol';
import { SocketIoTransport, type Transport, type TransportConnection } from '@helios/transport';

/** Delay before the first redial after a connection ended or an attempt failed (ms). */
const REDIAL_MIN_MS = 200;
/** The delay doubles with each failed attempt up to this (ms). */
const REDIAL_MAX_MS = 2_000;
/**
 * Up to this share of each delay is added or taken away at random, so the relays of a region
 * that lost the same peer do not all dial it at the same moment.
 */
const REDIAL_JITTER = 0.5;

/**
 * How long a peer's handshake may take (ms): Socket.IO's default, which the links had before
 * they dialled through the transport seam. Longer than a client's: a peer may be a continent away.
 */
const PEER_CONNECT_TIMEOUT_MS = 20_000;

/** The transport of a relay's peer links when its options name none: Socket.IO. */
export function socketIoPeerTransport(): Transport<PeerAuth> {
  return new SocketIoTransport({ connectTimeoutMs: PEER_CONNECT_TIMEOUT_MS });
}

/** What a {@link PeerConnection} reports to its link. */
export interface PeerConnectionEvents {
  /** A protocol message from the peer, encoded. */
  message(bytes: Uint8Array): void;
  /** An open connection ended; the peer is dialled again. */
  closed(): void;
  /**
   * An attempt failed: the peer refused the handshake (`code` set) or could not be reached. The
   * peer is dialled again.
   */
  failed(error: { readonly code?: string; readonly message: string }): void;
}

/**
 * A peer link's connection to its peer relay, over a {@link Transport}: dialled on
 * {@link start}, and after it ends or an attempt fails, dialled again after a backoff — 200 ms,
 * doubling up to 2 s, ±50% at random: the schedule of Socket.IO's own reconnection, which the
 * links used before they dialled through the transport seam. The backoff starts over once the
 * peer sends something (its `welcome`) on a connection.
 *
 * Refusals are dialled again too: a peer that is shutting down refuses with `unavailable` and
 * will admit the link once it is back, and a wrong peer token is fixed on the peer's side.
 */
export class PeerConnection {
  readonly #transport: Transport<PeerAuth>;
  readonly #url: string;
  readonly #hello: PeerAuth;
  readonly #events: PeerConnectionEvents;
  #connection: TransportConnection | undefined;
  /** Counts the dials; events of an earlier one are stale. */
  #dials = 0;
  /** Attempts failed since the peer last sent something: the next delay's exponent. */
  #failures = 0;
  #redial: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  constructor(
    transport: Transport<PeerAuth>,
    url: string,
    hello: PeerAuth,
    events: PeerConnectionEvents,
  ) {
    this.#transport = transport;
    this.#url = url;
    this.#hello = hello;
    this.#events = events;
  }

  get connected(): boolean {
    return this.#connection?.connected ?? false;
  }

  start(): void {
    this.#dial();
  }

  /** Sends an encoded protocol message; dropped when not connected. */
  send(bytes: Uint8Array): void {
    this.#connection?.send(bytes);
  }

  /** Ends the connection and dials no more. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#redial);
    this.#connection?.close();
    this.#connection = undefined;
  }

  #dial(): void {
    this.#redial = undefined;
    if (this.#closed) return;
    const dial = ++this.#dials;
    const connection = this.#transport.connect(this.#url, this.#hello, {
      message: (bytes) => {
        if (dial !== this.#dials || this.#closed) return;
        this.#failures = 0;
        this.#events.message(bytes);
      },
      refused: (error) => {
        if (this.#ended(dial)) this.#events.failed(error);
      },
      closed: () => {
        if (this.#ended(dial)) this.#events.closed();
      },
    });
    // Unless the attempt already failed while `connect` ran (the redial is set then).
    if (this.#redial === undefined) this.#connection = connection;
    else connection.close();
  }

  /**
   * The current dial ended: closes it (so the transport lets go of what it holds for it, as the
   * client does) and schedules the next one. False for a stale dial or a closed link.
   */
  #ended(dial: number): boolean {
    if (dial !== this.#dials || this.#closed) return false;
    this.#connection?.close();
    this.#connection = undefined;
    this.#redial = setTimeout(() => this.#dial(), redialDelay(this.#failures++));
    return true;
  }
}

/** The delay before redialling after `failures` failed attempts in a row (Socket.IO's backoff). */
function redialDelay(failures: number): number {
  const ms = REDIAL_MIN_MS * 2 ** Math.min(failures, 16);
  const deviation = Math.floor(Math.random() * REDIAL_JITTER * ms);
  return Math.min(REDIAL_MAX_MS, Math.random() < 0.5 ? ms - deviation : ms + deviation);
}
