import { encodeMessage, type Message } from '@helios/core/protocol';
import { MESSAGE_EVENT } from '@helios/transport';

/** The single Socket.IO event that carries Helios protocol messages (binary). */
export const EVENT = MESSAGE_EVENT;

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
