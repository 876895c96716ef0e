import { keepShape } from '../keep-shape.js';

const encoder = new TextEncoder();

/** Whether every character of `s` is ASCII, so that its UTF-8 is one byte per character. */
export function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

/**
 * Appends primitives to a growing buffer. Integers are LEB128 varints (7 bits a byte), so the
 * small numbers that dominate our messages (counts, offsets, sequence deltas) take one byte.
 */
export class ByteWriter {
  #buf: Uint8Array;
  // Made on first use: only floats need it, and most messages have none.
  #view: DataView | undefined;
  #pos = 0;

  constructor(initialCapacity = 64) {
    this.#buf = new Uint8Array(initialCapacity);
  }

  get length(): number {
    return this.#pos;
  }

  #ensure(extra: number): void {
    const need = this.#pos + extra;
    if (need <= this.#buf.length) return;
    let cap = Math.max(this.#buf.length * 2, 64);
    while (cap < need) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.#buf.subarray(0, this.#pos));
    this.#buf = next;
    this.#view = undefined;
  }

  u8(n: number): void {
    this.#ensure(1);
    this.#buf[this.#pos++] = n;
  }

  /** Unsigned varint for integers in [0, 2^53). */
  uint(n: number): void {
    this.#ensure(8);
    while (n >= 0x80) {
      this.#buf[this.#pos++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    this.#buf[this.#pos++] = n;
  }

  f64(n: number): void {
    this.#ensure(8);
    this.#view ??= new DataView(this.#buf.buffer);
    this.#view.setFloat64(this.#pos, n, true);
    this.#pos += 8;
  }

  bytes(b: Uint8Array): void {
    this.#ensure(b.length);
    this.#buf.set(b, this.#pos);
    this.#pos += b.length;
  }

  /**
   * Length-prefixed UTF-8. The prefix is `length * lengthScale + lengthTag`: a scale above 1
   * leaves the low bits free for the caller's own tags (see `writeKey`), a short string's tag
   * can carry its length (see `writeValue`).
   */
  string(s: string, lengthScale = 1, lengthTag = 0): void {
    // ASCII fast path: most keys and ids are short ASCII strings.
    const prefix = s.length * lengthScale + lengthTag;
    if (prefix < 128 && this.#ascii(s, prefix)) return;
    const b = encoder.encode(s);
    this.uint(b.length * lengthScale + lengthTag);
    this.bytes(b);
  }

  /** The UTF-8 of `s`, without a length: the caller wrote or knows it. */
  utf8(s: string): void {
    if (isAscii(s)) {
      this.#ensure(s.length);
      for (let i = 0; i < s.length; i++) this.#buf[this.#pos++] = s.charCodeAt(i);
      return;
    }
    this.bytes(encoder.encode(s));
  }

  /**
   * A string whose one-byte prefix is `tagBase` plus its UTF-8 length, when that length is at
   * most `maxLength`; returns false, having written nothing, when it is longer.
   */
  shortString(s: string, tagBase: number, maxLength: number): boolean {
    if (s.length > maxLength * 3) return false;
    if (s.length <= maxLength && this.#ascii(s, tagBase + s.length)) return true;
    const b = encoder.encode(s);
    if (b.length > maxLength) return false;
    this.u8(tagBase + b.length);
    this.bytes(b);
    return true;
  }

  /**
   * Writes the one-byte `prefix` and `s` as ASCII, one byte per character, when every character
   * is ASCII (then its UTF-8 is exactly that); returns false, having written nothing, otherwise.
   */
  #ascii(s: string, prefix: number): boolean {
    if (!isAscii(s)) return false;
    this.#ensure(1 + s.length);
    this.#buf[this.#pos++] = prefix;
    for (let i = 0; i < s.length; i++) this.#buf[this.#pos++] = s.charCodeAt(i);
    return true;
  }

  /** The bytes written so far (a copy, safe to keep). */
  finish(): Uint8Array {
    return this.#buf.slice(0, this.#pos);
  }
}

// Every encode builds a writer and drops it: its map must outlive them (see keepShape).
keepShape(new ByteWriter(0));
