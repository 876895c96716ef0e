import { DecodeError, type DecodeErrorCode } from '../errors.js';
import { keepShape } from '../keep-shape.js';
import { DEFAULT_DECODE_LIMITS, type DecodeLimits } from './limits.js';

const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads what {@link ByteWriter} wrote, from untrusted input. Every read is bounds-checked, every
 * length is charged against the element budget before anything is allocated, and nesting is
 * charged against the depth budget; any violation throws {@link DecodeError}.
 */
export class ByteReader {
  readonly #buf: Uint8Array;
  // Made on first use: only floats need it, and most messages have none.
  #view: DataView | undefined;
  readonly limits: DecodeLimits;
  /**
   * The version of the state encoding being read, for the parts whose layout depends on it:
   * set by whoever read the header that names it (1 until then).
   */
  format = 1;
  #pos = 0;
  #elements = 0;
  #depth = 0;

  constructor(buf: Uint8Array, limits: DecodeLimits = DEFAULT_DECODE_LIMITS) {
    this.limits = limits;
    if (buf.length > limits.maxBytes) {
      throw new DecodeError(
        'limit-bytes',
        `input of ${buf.length} bytes exceeds the ${limits.maxBytes}-byte limit`,
        0,
      );
    }
    this.#buf = buf;
  }

  get offset(): number {
    return this.#pos;
  }

  get remaining(): number {
    return this.#buf.length - this.#pos;
  }

  fail(code: DecodeErrorCode, message: string): never {
    throw new DecodeError(code, message, this.#pos);
  }

  u8(): number {
    if (this.#pos >= this.#buf.length) this.fail('truncated', 'unexpected end of input');
    return this.#buf[this.#pos++]!;
  }

  uint(): number {
    // One byte is the common case (counts, offsets, short lengths): no loop, no call.
    const buf = this.#buf;
    let pos = this.#pos;
    if (pos >= buf.length) this.fail('truncated', 'unexpected end of input');
    const first = buf[pos++]!;
    if (first < 0x80) {
      this.#pos = pos;
      return first;
    }
    let result = first & 0x7f;
    let scale = 0x80;
    for (let i = 1; i < 8; i++) {
      if (pos >= buf.length) {
        this.#pos = pos;
        this.fail('truncated', 'unexpected end of input');
      }
      const b = buf[pos++]!;
      result += (b & 0x7f) * scale;
      if (b < 0x80) {
        this.#pos = pos;
        if (result > Number.MAX_SAFE_INTEGER) this.fail('overflow', 'integer exceeds 2^53');
        if (b === 0) this.fail('bad-tag', 'non-canonical varint');
        return result;
      }
      scale *= 0x80;
    }
    this.#pos = pos;
    return this.fail('overflow', 'varint longer than 8 bytes');
  }

  /** Nesting one level deeper, without a closure; pair with {@link leave}. */
  enter(): void {
    if (++this.#depth > this.limits.maxDepth) {
      this.fail('limit-depth', `nesting deeper than ${this.limits.maxDepth}`);
    }
  }

  /** Back up one nesting level after {@link enter}. */
  leave(): void {
    this.#depth--;
  }

  f64(): number {
    if (this.remaining < 8) this.fail('truncated', 'unexpected end of input');
    this.#view ??= new DataView(this.#buf.buffer, this.#buf.byteOffset, this.#buf.byteLength);
    const n = this.#view.getFloat64(this.#pos, true);
    this.#pos += 8;
    return n;
  }

  bytes(n: number): Uint8Array {
    if (n > this.remaining) this.fail('truncated', `needs ${n} bytes, ${this.remaining} left`);
    const out = this.#buf.slice(this.#pos, this.#pos + n);
    this.#pos += n;
    return out;
  }

  /**
   * The next `n` bytes as a view of the input, not a copy: for reading them at once, not for
   * keeping (it shares the input's memory).
   */
  view(n: number): Uint8Array {
    if (n > this.remaining) this.fail('truncated', `needs ${n} bytes, ${this.remaining} left`);
    this.#pos += n;
    return this.#buf.subarray(this.#pos - n, this.#pos);
  }

  /**
   * Skips the next `n` bytes and returns where they start in {@link input}: for reading a few
   * bytes in place where a {@link view}'s subarray would cost more than reading them (a decoder
   * of small deltas pays it for every one).
   */
  skip(n: number): number {
    if (n > this.remaining) this.fail('truncated', `needs ${n} bytes, ${this.remaining} left`);
    this.#pos += n;
    return this.#pos - n;
  }

  /** The whole input, for reading in place what {@link skip} passed over. Not for keeping. */
  get input(): Uint8Array {
    return this.#buf;
  }

  /** The bytes not read yet, as a view of the input; reading goes on where it was. */
  ahead(): Uint8Array {
    return this.#buf.subarray(this.#pos);
  }

  string(): string {
    return this.stringOfLength(this.uint());
  }

  /** UTF-8 of `n` bytes whose length the caller has already read. */
  stringOfLength(n: number): string {
    if (n > this.remaining) this.fail('truncated', `needs ${n} bytes, ${this.remaining} left`);
    // Keys and ids are mostly short ASCII: build those directly, TextDecoder costs more.
    if (n <= 32) {
      const buf = this.#buf;
      const start = this.#pos;
      let ascii = true;
      for (let i = start; i < start + n; i++) {
        if (buf[i]! >= 0x80) {
          ascii = false;
          break;
        }
      }
      if (ascii) {
        this.#pos += n;
        // Up to 12 characters, appending makes a flat string and allocates no view (one
        // character is V8's shared single-character string); longer, one call makes it flat.
        if (n <= 12) {
          let out = '';
          for (let i = start; i < start + n; i++) out += String.fromCharCode(buf[i]!);
          return out;
        }
        return String.fromCharCode.apply(
          null,
          buf.subarray(start, start + n) as unknown as number[],
        );
      }
    }
    const view = this.#buf.subarray(this.#pos, this.#pos + n);
    let s: string;
    try {
      s = decoder.decode(view);
    } catch {
      this.fail('bad-utf8', 'string is not valid UTF-8');
    }
    this.#pos += n;
    return s;
  }

  /**
   * A collection length. Each element takes at least `minBytesEach` bytes, so a length the
   * input cannot hold is refused before the caller allocates for it.
   */
  length(minBytesEach = 1): number {
    const n = this.uint();
    if (n * minBytesEach > this.remaining) {
      this.fail('truncated', `a length of ${n} does not fit in the ${this.remaining} bytes left`);
    }
    this.#elements += n;
    if (this.#elements > this.limits.maxElements) {
      this.fail('limit-elements', `more than ${this.limits.maxElements} elements`);
    }
    return n;
  }

  /** Charges `n` elements that were not announced by {@link length} (e.g. context ranges). */
  charge(n: number): void {
    this.#elements += n;
    if (this.#elements > this.limits.maxElements) {
      this.fail('limit-elements', `more than ${this.limits.maxElements} elements`);
    }
  }

  /** Runs `read` one nesting level deeper, refusing input nested past the depth limit. */
  nested<T>(read: () => T): T {
    if (++this.#depth > this.limits.maxDepth) {
      this.fail('limit-depth', `nesting deeper than ${this.limits.maxDepth}`);
    }
    try {
      return read();
    } finally {
      this.#depth--;
    }
  }

  /** Refuses input with bytes after the decoded value. */
  end(): void {
    if (this.#pos !== this.#buf.length) {
      this.fail('trailing-bytes', `${this.remaining} unexpected bytes after the end`);
    }
  }
}

// Every decode builds a reader and drops it: its map must outlive them (see keepShape).
keepShape(new ByteReader(new Uint8Array(0)));
