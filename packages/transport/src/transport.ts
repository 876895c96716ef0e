import type { HandshakeRefusal } from '@helios/core';
import type { HelloAuth, PeerAuth } from '@helios/core/protocol';

/**
 * What a connection announces when it is opened: a client's {@link HelloAuth}, or a peer relay's
 * {@link PeerAuth}. A transport carries it as it is (Socket.IO: JSON in the handshake's `auth`).
 */
export type Handshake = HelloAuth | PeerAuth;

/**
 * How relays are reached: one connection per relay URL, carrying encoded protocol messages
 * (`encodeMessage` bytes) both ways. Clients dial their relays through it (`Transport`, with a
 * {@link HelloAuth}), and a relay's peer links dial the peer regions through it
 * (`Transport<PeerAuth>`). The default is {@link SocketIoTransport}; `@helios/client`'s
 * `MemoryTransport` connects clients to relays in the same process, for tests.
 *
 * A connection only moves bytes. Failover, reconnection, backoff and the handshake's meaning stay
 * with the caller (the client, the peer link), so every transport behaves the same to it.
 */
export interface Transport<Hello extends Handshake = HelloAuth> {
  /**
   * Dials `url`, sending `hello` with the handshake. Exactly one of the events ends an attempt
   * that does not succeed: `refused` (the relay answered the handshake with an error, or it could
   * not be reached; `code` is set only for a relay's refusal) or `closed` (after it was open).
   * Messages arrive through `message`, the relay's `welcome` first.
   */
  connect(url: string, hello: Hello, events: TransportEvents): TransportConnection;
  /**
   * Whether the relay at `url` answers at all (Socket.IO: its `/healthz`); used, while failed
   * over, to notice that home is back. Resolves false rather than rejecting.
   */
  probe(url: string): Promise<boolean>;
}

/** Why a connection could not be opened (see {@link TransportEvents.refused}). */
export interface TransportRefusal extends Partial<HandshakeRefusal> {
  readonly message: string;
}

/** What a {@link TransportConnection} reports. */
export interface TransportEvents {
  /** A protocol message from the relay, encoded. */
  message(bytes: Uint8Array): void;
  /**
   * The connection could not be opened: the relay refused (with its `code`, and for
   * `replica-retired` the deployment's `retiredBelow`) or was unreachable (no code).
   */
  refused(error: TransportRefusal): void;
  /** An open connection ended (the relay went away, or the network). */
  closed(): void;
}

/** One connection to a relay, as a {@link Transport} opened it. */
export interface TransportConnection {
  /** Open and able to send. */
  readonly connected: boolean;
  /** Sends an encoded protocol message; dropped when not connected. */
  send(bytes: Uint8Array): void;
  /** Ends the connection. No event fires afterwards. */
  close(): void;
}
