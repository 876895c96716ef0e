/**
 * A Socket.IO parser that sends each Helios protocol frame as ONE binary WebSocket message.
 *
 * Socket.IO's default parser sends an event with a binary argument as two messages: a JSON text
 * header (`451-["h",{"_placeholder":true,"num":0}]`) and then the bytes. For Helios, whose
 * frames are often ~30 bytes, that header more than doubles the bytes on the wire and doubles
 * the messages every relay and client handles. This parser sends `EVENT ['h', <bytes>]` on the
 * default namespace, without an ack id, as one binary message `0x68 · bytes`, and every other
 * packet exactly as the default parser does.
 *
 * It lives in the transport layer, which the relay and the client share, so both ends frame
 * alike. It extends socket.io-parser's `Encoder` and `Decoder` instead of re-implementing
 * Socket.IO's JSON packets: {@link singleFrameParser} takes them as an argument, and
 * {@link socketParser} is it bound to the socket.io-parser this package depends on.
 *
 * Decoding accepts both framings: a binary message that arrives while a default-parser packet
 * still awaits its attachments is one of those attachments; any other binary message must be a
 * single-message frame. A stock Socket.IO peer's packets therefore decode, but a stock peer
 * cannot decode the relay's single-message frames, so it cannot talk to a Helios relay.
 */

import * as socketIoParser from 'socket.io-parser';

/** The Socket.IO event that carries Helios protocol frames. */
export const MESSAGE_EVENT = 'h';

/** First byte of a single-message frame: ASCII `h`, the event it stands for. */
export const SINGLE_FRAME_MARKER = 0x68;

const EVENT_PACKET = 2;
const BINARY_EVENT_PACKET = '5';
const BINARY_ACK_PACKET = '6';

/** A Socket.IO packet, as socket.io-parser's `Encoder` takes and `Decoder` emits it. */
export interface SocketPacket {
  type: number;
  nsp: string;
  data?: unknown;
  id?: number;
}

/** The part of socket.io-parser's exports this parser builds on, and what it returns. */
export interface SocketParser {
  Encoder: new () => { encode(packet: SocketPacket): unknown[] };
  Decoder: new () => { add(frame: unknown): void; destroy(): void };
}

/** socket.io-parser's Decoder as seen by a subclass: `emitReserved` is protected. */
type BaseDecoder = new () => {
  add(frame: unknown): void;
  destroy(): void;
  emitReserved(event: 'decoded', packet: SocketPacket): unknown;
};

/**
 * The parser to pass as Socket.IO's `parser` option, on the server (`new Server(…, { parser })`)
 * and on every client (`io(url, { parser })`): `base` is socket.io-parser's module.
 */
export function singleFrameParser(base: SocketParser): SocketParser {
  class Encoder extends base.Encoder {
    override encode(packet: SocketPacket): unknown[] {
      const bytes = singleFramePayload(packet);
      if (bytes === undefined) return super.encode(packet);
      const frame = new Uint8Array(1 + bytes.byteLength);
      frame[0] = SINGLE_FRAME_MARKER;
      frame.set(bytes, 1);
      return [frame];
    }
  }

  class Decoder extends (base.Decoder as BaseDecoder) {
    /** Binary messages still owed to a default-parser packet whose text header came first. */
    #attachments = 0;

    override add(frame: unknown): void {
      if (typeof frame === 'string') {
        // The base decoder validates the header (and throws on a bad one) before we count.
        super.add(frame);
        this.#attachments = attachmentsOf(frame);
        return;
      }
      if (this.#attachments > 0) {
        this.#attachments -= 1;
        super.add(frame);
        return;
      }
      // Throwing is how socket.io-parser rejects a packet: Socket.IO catches it and closes this
      // connection only.
      const bytes = asBytes(frame);
      if (bytes === undefined) throw new Error(`Unknown type: ${typeof frame}`);
      if (bytes[0] !== SINGLE_FRAME_MARKER) throw new Error('not a single-message frame');
      this.emitReserved('decoded', {
        type: EVENT_PACKET,
        nsp: '/',
        data: [MESSAGE_EVENT, bytes.subarray(1)],
      });
    }

    override destroy(): void {
      this.#attachments = 0;
      super.destroy();
    }
  }

  return { Encoder, Decoder };
}

/**
 * Helios's parser bound to socket.io-parser: the `parser` option of every Socket.IO end that
 * talks to a relay — the relay's server, `SocketIoTransport`, and any Node client that
 * calls `io()` itself. A socket without it cannot decode what the relay sends.
 */
export const socketParser: SocketParser = singleFrameParser(socketIoParser);

/** The bytes of a packet that travels as one message, or undefined for any other packet. */
function singleFramePayload(packet: SocketPacket): Uint8Array | undefined {
  if (packet.type !== EVENT_PACKET || packet.nsp !== '/' || packet.id !== undefined) return;
  const data = packet.data;
  if (!Array.isArray(data) || data.length !== 2 || data[0] !== MESSAGE_EVENT) return;
  return asBytes(data[1]);
}

/** The attachments a default-parser text header announces (`451-[…]` → 1). */
function attachmentsOf(header: string): number {
  if (header[0] !== BINARY_EVENT_PACKET && header[0] !== BINARY_ACK_PACKET) return 0;
  return Number(header.slice(1, header.indexOf('-')));
}

/**
 * A binary message as a byte view: Node hands over a Buffer, browsers an ArrayBuffer — possibly
 * from another realm (a test environment's globals), so no `instanceof`.
 */
export function asBytes(value: unknown): Uint8Array | undefined {
  if (ArrayBuffer.isView(value)) {
    return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  }
  if (Object.prototype.toString.call(value) === '[object ArrayBuffer]') {
    return new Uint8Array(value as ArrayBuffer);
  }
  return undefined;
}
