import { describe, expect, it } from 'vitest';
import { encodeFrame, FrameReader, FrameTooLargeError } from './quic-framing.js';

const bytes = (...values: number[]) => new Uint8Array(values);

describe('QUIC framing', () => {
  it('prefixes a payload with its length as a big-endian u32', () => {
    expect(encodeFrame(bytes(7, 8, 9))).toEqual(bytes(0, 0, 0, 3, 7, 8, 9));
  });

  it('puts frames split over chunks, or several in one chunk, back together', () => {
    const reader = new FrameReader(100);
    const wire = new Uint8Array([
      ...encodeFrame(bytes(1, 2, 3)),
      ...encodeFrame(bytes()),
      ...encodeFrame(bytes(4)),
    ]);
    const cuts = [0, 2, 5, 7, 8, wire.length];
    const frames: Uint8Array[] = [];
    for (let i = 0; i + 1 < cuts.length; i++) {
      frames.push(...reader.push(wire.subarray(cuts[i], cuts[i + 1])));
    }
    expect(frames).toEqual([bytes(1, 2, 3), bytes(), bytes(4)]);
    expect(reader.pending).toBe(0);
    expect(new FrameReader(100).push(wire)).toEqual([bytes(1, 2, 3), bytes(), bytes(4)]);
  });

  it('refuses a frame over the limit as soon as its length is read', () => {
    const reader = new FrameReader(4);
    expect(reader.push(encodeFrame(bytes(1, 2, 3, 4)))).toEqual([bytes(1, 2, 3, 4)]);
    expect(() => reader.push(bytes(0, 0, 0, 5))).toThrow(FrameTooLargeError);
    expect(() => new FrameReader(1 << 20).push(bytes(0xff, 0xff, 0xff, 0xff))).toThrow(
      /4294967295 bytes is over the limit/,
    );
  });
});
