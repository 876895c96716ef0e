import fc from 'fast-check';
import * as stock from 'socket.io-parser';
import { describe, expect, it } from 'vitest';
import { SINGLE_FRAME_MARKER, type SocketPacket, socketParser } from './socket-parser.js';

const CONNECT = 0;
const DISCONNECT = 1;
const EVENT = 2;
const ACK = 3;
const CONNECT_ERROR = 4;

/** Every packet a frame sequence decodes to, and the error if one frame was refused. */
function decodeAll(Decoder: new () => stock.Decoder, frames: readonly unknown[]) {
  const decoder = new Decoder();
  const packets: SocketPacket[] = [];
  decoder.on('decoded', (p) => packets.push(p));
  for (const frame of frames) decoder.add(frame);
  return packets;
}

const encode = (packet: SocketPacket) => new socketParser.Encoder().encode(packet);

describe('socket parser: protocol frames as one binary message', () => {
  it("sends EVENT ['h', bytes] on / as the marker then the bytes, and decodes it back", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), (bytes) => {
        const frames = encode({ type: EVENT, nsp: '/', data: ['h', bytes] });
        expect(frames).toEqual([Uint8Array.from([SINGLE_FRAME_MARKER, ...bytes])]);
        const [packet, ...rest] = decodeAll(socketParser.Decoder as never, frames);
        expect(rest).toEqual([]);
        expect(packet).toEqual({ type: EVENT, nsp: '/', data: ['h', bytes] });
      }),
    );
  });

  it('decodes the message as Node (Buffer) and browsers (ArrayBuffer) receive it', () => {
    const wire = Uint8Array.from([SINGLE_FRAME_MARKER, 1, 4, 1, 1]);
    for (const frame of [Buffer.from(wire), wire.slice().buffer]) {
      const [packet] = decodeAll(socketParser.Decoder as never, [frame]);
      expect(packet?.data).toEqual(['h', Uint8Array.from([1, 4, 1, 1])]);
    }
  });

  const bytes = Uint8Array.from([1, 4, 1, 1]);
  const others: [string, SocketPacket][] = [
    [
      'CONNECT with the auth object',
      { type: CONNECT, nsp: '/', data: { protocol: 1, token: 't' } },
    ],
    ['CONNECT of the server', { type: CONNECT, nsp: '/', data: { sid: 'abc' } }],
    [
      'CONNECT_ERROR with data',
      { type: CONNECT_ERROR, nsp: '/', data: { message: 'no', data: { code: 'unauthenticated' } } },
    ],
    ['DISCONNECT', { type: DISCONNECT, nsp: '/' }],
    ['an event with a string', { type: EVENT, nsp: '/', data: ['h', 'not bytes'] }],
    ['another event name', { type: EVENT, nsp: '/', data: ['x', bytes] }],
    ['an event with two arguments', { type: EVENT, nsp: '/', data: ['h', bytes, bytes] }],
    ['an event with an ack id', { type: EVENT, nsp: '/', data: ['h', bytes], id: 7 }],
    ['an event on another namespace', { type: EVENT, nsp: '/admin', data: ['h', bytes] }],
    ['a binary ack', { type: ACK, nsp: '/', data: [bytes], id: 3 }],
  ];

  it.each(others)('sends %s exactly as socket.io-parser does, and decodes it alike', (_, p) => {
    const frames = encode(p);
    expect(frames).toEqual(new stock.Encoder().encode(p));
    expect(decodeAll(socketParser.Decoder as never, frames)).toEqual(
      decodeAll(stock.Decoder, frames),
    );
  });

  it("also decodes socket.io-parser's two-message framing of a protocol frame", () => {
    const frames = new stock.Encoder().encode({ type: EVENT, nsp: '/', data: ['h', bytes] });
    expect(frames).toHaveLength(2);
    expect(decodeAll(socketParser.Decoder as never, [...frames, ...frames])).toEqual([
      { type: EVENT, nsp: '/', data: ['h', bytes] },
      { type: EVENT, nsp: '/', data: ['h', bytes] },
    ]);
  });

  it.each([
    ['an empty binary message', [new Uint8Array(0)]],
    ['a binary message without the marker', [Uint8Array.from([1, 4, 1, 1])]],
    ['a value that is neither text nor bytes', [{ length: 3 }]],
    ['a text packet of an unknown type', ['9["h"]']],
    ['text where an attachment is owed', ['51-["h",{"_placeholder":true,"num":0}]', '2']],
  ])('refuses %s by throwing, as socket.io-parser does', (_, frames) => {
    expect(() => decodeAll(socketParser.Decoder as never, frames)).toThrow();
  });

  it('forgets owed attachments when destroyed', () => {
    const decoder = new socketParser.Decoder() as unknown as stock.Decoder;
    const packets: SocketPacket[] = [];
    decoder.on('decoded', (p) => packets.push(p));
    decoder.add('51-["h",{"_placeholder":true,"num":0}]');
    decoder.destroy();
    decoder.add(Uint8Array.from([SINGLE_FRAME_MARKER, 9]));
    expect(packets).toEqual([{ type: EVENT, nsp: '/', data: ['h', Uint8Array.from([9])] }]);
  });
});
