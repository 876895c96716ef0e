import { isEpochFrontier } from '@helios/core';
import { io } from 'socket.io-client';
import { asBytes, MESSAGE_EVENT, socketParser } from './socket-parser.js';
import type { Handshake, Transport, TransportConnection, TransportEvents } from './transport.js';

/** How long a Socket.IO handshake may take before the attempt counts as failed (ms). */
const CONNECT_TIMEOUT_MS = 5_000;
/** How long a relay's `/healthz` may take to answer a probe (ms). */
const PROBE_TIMEOUT_MS = 2_000;

export interface SocketIoTransportOptions {
  /** How long a handshake may take before the attempt counts as unreachable (ms). Default 5 s. */
  readonly connectTimeoutMs?: number;
}

/**
 * The default {@link Transport}: a Socket.IO connection over WebSocket to a Helios relay, one
 * protocol message per `MESSAGE_EVENT` frame (framed by {@link socketParser}), the handshake in
 * Socket.IO's `auth`. Reconnection is the caller's business (a client picks the next relay, a
 * peer link dials its peer again), so Socket.IO's own is off. It dials for clients and for peer
 * relays alike: the handshake is sent as it is given.
 */
export class SocketIoTransport implements Transport<Handshake> {
  readonly #connectTimeoutMs: number;

  constructor(options: SocketIoTransportOptions = {}) {
    this.#connectTimeoutMs = options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS;
  }

  connect(url: string, hello: Handshake, events: TransportEvents): TransportConnection {
    const socket = io(url, {
      auth: { ...hello },
      transports: ['websocket'],
      parser: socketParser,
      reconnection: false,
      forceNew: true,
      timeout: this.#connectTimeoutMs,
    });
    socket.on(MESSAGE_EVENT, (payload: unknown) => {
      // A payload that is not bytes is no protocol message (a stock Socket.IO peer's JSON).
      const bytes = asBytes(payload);
      if (bytes !== undefined) events.message(bytes);
    });
    socket.on(
      'connect_error',
      (err: Error & { data?: { code?: unknown; retiredBelow?: unknown } }) => {
        // A relay's refusal carries its code; a network failure does not.
        const { code, retiredBelow } = err.data ?? {};
        events.refused({
          message: err.message,
          ...(typeof code === 'string' ? { code } : {}),
          ...(typeof code === 'string' && isEpochFrontier(retiredBelow) ? { retiredBelow } : {}),
        });
      },
    );
    socket.on('disconnect', () => events.closed());
    return {
      get connected() {
        return socket.connected;
      },
      send: (bytes) => {
        socket.emit(MESSAGE_EVENT, bytes);
      },
      close: () => {
        socket.removeAllListeners();
        socket.close();
      },
    };
  }

  async probe(url: string): Promise<boolean> {
    try {
      const res = await fetch(new URL('/healthz', url), {
        signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
      });
      return res.ok;
    } catch {
      return false;
    }
  }
}
