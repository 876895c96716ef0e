import type { QUICConfig } from '@matrixai/quic';

/**
 * The settings both ends of a QUIC peer link share: the ALPN that names the protocol, the
 * timers, and the application codes a connection is closed with (docs/quic.md).
 */

/** The ALPN of Helios peer links; a QUIC endpoint speaking anything else is not admitted. */
export const PEER_ALPN = 'helios-peer/1';

/**
 * Keep-alive ping interval (ms) and idle timeout (ms). A peer link's connection is declared dead
 * after 3 s in which nothing at all arrived, pings included (three missed pings), and dialled
 * anew. Shorter than WebSocket links' 20 s (Socket.IO's pingInterval + pingTimeout) because a
 * QUIC connection can outlive its path without noticing: a middlebox that rebinds the flow a
 * second time leaves the library unable to migrate again (it holds no spare connection id), and
 * only the idle timeout ends that connection. Pings every second also keep NAT bindings (often
 * 30 s for UDP) fresh, for a few dozen bytes a second per link.
 */
export const KEEP_ALIVE_INTERVAL_MS = 1_000;
export const MAX_IDLE_TIMEOUT_MS = 3_000;

/** The application error codes a peer link's QUIC connection is closed with. */
export const QuicCloseCode = {
  /** Closed on purpose: the link or the relay is done with it. */
  done: 0,
  /** The handshake was refused; the control stream carried an `error` message saying why. */
  refused: 1,
  /** A frame over the size limit, or a frame that cannot be read. */
  badFrame: 2,
  /** No handshake within the deadline. */
  handshakeTimeout: 3,
  /** Too many connections waiting for their handshake. */
  busy: 4,
  /** The peer broke the stream layout (an unexpected stream, uni streams out of bounds). */
  badStream: 5,
} as const;

/** The connection settings both ends use, apart from certificates. */
export const BASE_CONFIG: Partial<QUICConfig> = {
  applicationProtos: [PEER_ALPN],
  keepAliveIntervalTime: KEEP_ALIVE_INTERVAL_MS,
  maxIdleTimeout: MAX_IDLE_TIMEOUT_MS,
};
