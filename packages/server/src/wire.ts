import { encodeMessage, type Message } from '@helios/core';

/** The single Socket.IO event that carries Helios protocol messages (binary). */
export const EVENT = 'h';

/**
 * Socket.IO hands binary payloads over as Buffer, ArrayBuffer or a typed array — possibly from
 * another realm (a test environment's globals), so no `instanceof`.
 */
export function asBytes(payload: unknown): Uint8Array | undefined {
  if (ArrayBuffer.isView(payload)) {
    return new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength);
  }
  if (Object.prototype.toString.call(payload) === '[object ArrayBuffer]') {
    return new Uint8Array(payload as ArrayBuffer);
  }
  return undefined;
}

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
