import { type HelloAuth, MESSAGE_EVENT, singleFrameParser } from '@helios/core/protocol';
import { io } from 'socket.io-client';
import * as socketIoParser from 'socket.io-parser';
import type { Transport, TransportConnection, TransportEvents } from './transport.js';

/** Helios relays frame each protocol message as one WebSocket message (see `singleFrameParser`). */
const parser = singleFrameParser(socketIoParser);

/** How long a Socket.IO handshake may take before the attempt counts as failed (ms). */
const CONNECT_TIMEOUT_MS = 5_000;
/** How long home's `/healthz` may take to answer a probe (ms). */
const PROBE_TIMEOUT_MS = 2_000;

/**
 * The default {@link Transport}: a Socket.IO connection over WebSocket to a Helios relay, one
 * protocol message per `MESSAGE_EVENT` frame, the handshake in Socket.IO's `auth`. Reconnection
 * is the client's business (it picks the next relay), so Socket.IO's own is off.
 */
export class SocketIoTransport implements Transport {
  connect(url: string, hello: HelloAuth, events: TransportEvents): TransportConnection {
    const socket = io(url, {
      auth: { ...hello, replicas: [...hello.replicas] },
      transports: ['websocket'],
      parser,
      reconnection: false,
      forceNew: true,
      timeout: CONNECT_TIMEOUT_MS,
    });
    socket.on(MESSAGE_EVENT, (payload: ArrayBuffer | Uint8Array) =>
      events.message(payload instanceof Uint8Array ? payload : new Uint8Array(payload)),
    );
    socket.on('connect_error', (err: Error & { data?: { code?: unknown } }) => {
      // A relay's refusal carries its code; a network failure does not.
      const code = err.data?.code;
      events.refused(
        typeof code === 'string' ? { code, message: err.message } : { message: err.message },
      );
    });
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
