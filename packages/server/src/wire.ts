import {
  encodeMessage,
  MESSAGE_EVENT,
  type Message,
  singleFrameParser,
} from '@helios/core/protocol';
import * as socketIoParser from 'socket.io-parser';

export { asBytes } from '@helios/core/protocol';

/** The single Socket.IO event that carries Helios protocol messages (binary). */
export const EVENT = MESSAGE_EVENT;

/**
 * The Socket.IO `parser` option of every socket that talks to a relay: the relay's own, its peer
 * links', and any Node client's. Protocol frames travel as one WebSocket message each (see core's
 * `singleFrameParser`); a client without it cannot decode what the relay sends.
 */
export const socketParser = singleFrameParser(socketIoParser);

/** Anything we can emit a protocol message through: a socket, a room, a broadcast. */
export interface Emitter {
  emit(event: string, payload: Uint8Array): unknown;
}

export function send(to: Emitter, message: Message): number {
  const bytes = encodeMessage(message);
  to.emit(EVENT, bytes);
  return bytes.length;
}

/** Socket.IO room of a document's subscribers. */
export function roomOf(doc: string): string {
  return `doc:${doc}`;
}
