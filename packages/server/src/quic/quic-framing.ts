import type { ReadableStream } from 'node:stream/web';

/**
 * How protocol messages travel on a QUIC stream (docs/protocol.md, "Peer links over QUIC"): each
 * one as a frame, a big-endian u32 byte length and then that many bytes (an `encodeMessage`
 * message, or the dialer's handshake as JSON). A QUIC stream is a byte stream, so frames may
 * arrive split or several in one chunk; {@link FrameReader} puts them back together.
 */

/** Bytes of a frame's length prefix. */
export const FRAME_HEADER_BYTES = 4;

/**
 * Headroom over the relay's `maxMessageBytes` a frame may have: a peer configured with a
 * slightly larger limit than this relay still gets its messages through, and the handshake
 * (a few hundred bytes of JSON) always fits.
 */
export const FRAME_SLACK_BYTES = 1024;

/** A frame announced a length over the reader's limit: the sender is broken or hostile. */
export class FrameTooLargeError extends Error {
  constructor(
    readonly length: number,
    readonly limit: number,
  ) {
    super(`a frame of ${length} bytes is over the limit of ${limit}`);
  }
}

/** `payload` as one frame: its length, then its bytes. */
export function encodeFrame(payload: Uint8Array): Uint8Array {
  const frame = new Uint8Array(FRAME_HEADER_BYTES + payload.length);
  new DataView(frame.buffer).setUint32(0, payload.length);
  frame.set(payload, FRAME_HEADER_BYTES);
  return frame;
}

/**
 * A frame of no bytes, which no protocol message encodes to: the listener's hint on the control
 * stream that the dialer's packets now come from another address (the connection migrated), so
 * the dialer should replace the connection (see `RenewingQuicConnection`).
 */
export const PATH_CHANGED_FRAME = encodeFrame(new Uint8Array(0));

/**
 * Splits a stream's chunks into frames. It holds at most one frame's bytes (the limit) plus one
 * chunk: a length over the limit throws {@link FrameTooLargeError} before anything is buffered
 * for it, so a hostile sender cannot make it hold more. Chunks are kept as they come and joined
 * once a frame is complete, so a large frame costs one copy, not one per chunk.
 */
export class FrameReader {
  readonly #maxFrameBytes: number;
  #chunks: Uint8Array[] = [];
  #pending = 0;
  /** The length of the frame being read, once its header is in. */
  #length: number | undefined;

  constructor(maxFrameBytes: number) {
    this.#maxFrameBytes = maxFrameBytes;
  }

  /** Bytes received and not returned as a frame yet. */
  get pending(): number {
    return this.#pending;
  }

  /** Takes a chunk; returns the frames it completed, in order. */
  push(chunk: Uint8Array): Uint8Array[] {
    this.#chunks.push(chunk);
    this.#pending += chunk.length;
    const frames: Uint8Array[] = [];
    for (;;) {
      if (this.#length === undefined) {
        if (this.#pending < FRAME_HEADER_BYTES) break;
        const header = this.#take(FRAME_HEADER_BYTES);
        const length = new DataView(header.buffer, header.byteOffset).getUint32(0);
        if (length > this.#maxFrameBytes) throw new FrameTooLargeError(length, this.#maxFrameBytes);
        this.#length = length;
      }
      if (this.#pending < this.#length) break;
      frames.push(this.#take(this.#length));
      this.#length = undefined;
    }
    return frames;
  }

  /** The next `n` bytes received (there are at least `n`), in one array. */
  #take(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const head = this.#chunks[0]!;
      const part = Math.min(n - filled, head.length);
      out.set(head.subarray(0, part), filled);
      filled += part;
      if (part === head.length) this.#chunks.shift();
      else this.#chunks[0] = head.subarray(part);
    }
    this.#pending -= n;
    return out;
  }
}

/**
 * Reads `readable` to its end, handing each frame to `onFrame` as it completes. Rejects with
 * {@link FrameTooLargeError} for a frame over `maxFrameBytes`, and with the stream's error if it
 * fails; a stream that ends inside a frame rejects too (the frame was cut off).
 */
export async function readFrames(
  readable: ReadableStream<Uint8Array>,
  maxFrameBytes: number,
  onFrame: (frame: Uint8Array) => void,
): Promise<void> {
  const frames = new FrameReader(maxFrameBytes);
  const reader = readable.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      for (const frame of frames.push(value)) onFrame(frame);
    }
  } finally {
    reader.releaseLock();
  }
  if (frames.pending > 0) throw new Error('the stream ended inside a frame');
}
