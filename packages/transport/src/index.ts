/**
 * `@helios/transport`: how encoded protocol messages travel between clients, relays and peer
 * regions. The {@link Transport} seam that clients and a relay's peer links dial through, its
 * Socket.IO implementation, and Helios's Socket.IO parser, which both ends of every Socket.IO
 * connection use. The messages themselves and their codec are `@helios/core/protocol`.
 *
 * @module
 */

export { SocketIoTransport, type SocketIoTransportOptions } from './socket-io-transport.js';
export {
  asBytes,
  MESSAGE_EVENT,
  SINGLE_FRAME_MARKER,
  type SocketPacket,
  type SocketParser,
  singleFrameParser,
  socketParser,
} from './socket-parser.js';
export type {
  Handshake,
  Transport,
  TransportConnection,
  TransportEvents,
  TransportRefusal,
} from './transport.js';
