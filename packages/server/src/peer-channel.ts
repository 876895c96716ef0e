import type { Message } from '@helios/core/protocol';
import { asBytes } from '@helios/transport';
import type { RelaySocket } from './relay-socket.js';
import { EVENT, send } from './wire.js';

/**
 * Which way a message to a peer goes: `batch` for feed batches and backfill pages (which a
 * transport may carry apart from the rest, as QUIC does on a stream each), `control` for
 * everything else. The peer gets the messages of each lane in order; a transport with one
 * ordered stream (Socket.IO) ignores the lane.
 */
export type PeerLane = 'control' | 'batch';

/**
 * An admitted peer relay's connection, as the relay serves it (its `welcome`, its feed stream):
 * the same for a Socket.IO socket ({@link socketPeerChannel}) and a QUIC connection
 * (`QuicPeerChannel`).
 */
export interface PeerChannel {
  /** Open and able to send. */
  readonly open: boolean;
  /** Sends a protocol message on `lane` (default `control`); returns its encoded size. */
  send(message: Message, lane?: PeerLane): number;
  /** Calls `listener` with each encoded protocol message the peer sends. */
  onMessage(listener: (bytes: Uint8Array) => void): void;
  /** Calls `listener` once the connection has ended, whichever side ended it. */
  onClose(listener: () => void): void;
  /** Ends the connection. */
  close(): void;
}

/** A peer's Socket.IO socket as a {@link PeerChannel}: one ordered stream, lanes ignored. */
export function socketPeerChannel(socket: RelaySocket): PeerChannel {
  return {
    get open() {
      return socket.connected;
    },
    send: (message) => send(socket, message),
    onMessage: (listener) => {
      socket.on(EVENT, (payload: unknown) => {
        const bytes = asBytes(payload);
        if (bytes !== undefined) listener(bytes);
      });
    },
    onClose: (listener) => {
      socket.on('disconnect', () => listener());
    },
    close: () => {
      socket.disconnect(true);
    },
  };
}
