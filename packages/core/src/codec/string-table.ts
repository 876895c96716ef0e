import type { ByteReader } from './byte-reader.js';
import { type ByteWriter, isAscii } from './byte-writer.js';
import { readRuns, writeRuns } from './runs.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });
/** Decodes ASCII (and only ASCII is given to it) in one call. */
const latin1 = new TextDecoder('latin1');
/** Strings read one by one before a table decodes all its bytes at once. */
const SLICE_AFTER = 256;

/** UTF-8 of `s`, without TextEncoder for ASCII (most keys). */
export function utf8(s: string): Uint8Array {
  if (!isAscii(s)) return encoder.encode(s);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** UTF-8 byte length of `s`. */
function utf8Length(s: string): number {
  return isAscii(s) ? s.length : encoder.encode(s).length;
}

/**
 * The order of a snapshot's string keys: shorter UTF-8 first, then bytewise (shortlex). Any
 * total order would do for the binary search; this one also puts `k9` before `k10`, so keys
 * with a counter suffix, written in counter order, come out in write order, and their dots and
 * times compress into runs.
 */
export function compareUtf8(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return a.length - b.length;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/**
 * Collects a snapshot's strings: its sorted keys first (index = key index), then each distinct
 * string value once, in order of first use. A value equal to a key is stored again: looking
 * every value up among the keys would cost the writer a map of all keys for a rare saving.
 */
export class StringTableWriter {
  readonly #strings: string[];
  /** UTF-8 byte length of each string. */
  readonly #lengths: number[];
  readonly #index = new Map<string, number>();

  /** `sortedKeys` in {@link compareUtf8} order, with their UTF-8 byte lengths. */
  constructor(sortedKeys: readonly string[], keyLengths: readonly number[]) {
    this.#strings = sortedKeys.slice();
    this.#lengths = keyLengths.slice();
  }

  /** The index of string value `s`, added if new. */
  intern(s: string): number {
    let i = this.#index.get(s);
    if (i === undefined) {
      i = this.#strings.length;
      this.#strings.push(s);
      this.#lengths.push(utf8Length(s));
      this.#index.set(s, i);
    }
    return i;
  }

  /** The count, the byte lengths as runs (keys of one length come together), all the bytes. */
  write(w: ByteWriter): void {
    w.uint(this.#strings.length);
    writeRuns(w, this.#lengths);
    for (const s of this.#strings) w.utf8(s);
  }
}

/**
 * A snapshot's strings, read without decoding any: a copy of their bytes and where each starts.
 * Reading checks everything up front (lengths within the input, valid UTF-8, the first `keys`
 * strings strictly increasing in {@link compareUtf8} order), so {@link at} cannot fail later.
 */
export class StringTable {
  readonly #bytes: Uint8Array;
  /** Offset of string i in `#bytes`; one more entry marks the end. */
  readonly #start: Uint32Array;
  readonly size: number;
  readonly #ascii: boolean;
  /** All the bytes as one string, once many were read (ASCII tables only). */
  #text: string | undefined;
  #reads = 0;

  constructor(r: ByteReader, keys: number) {
    // Distinct strings but one take a byte at least: a count beyond the input is refused.
    const n = r.length(1);
    if (keys > n) r.fail('invariant', `${keys} keys in a table of ${n} strings`);
    const lengths = readRuns(r, n, 0, r.remaining);
    const start = new Uint32Array(n + 1);
    let total = 0;
    for (let i = 0; i < n; i++) {
      start[i] = total;
      total += lengths[i]!;
      if (total > r.remaining) r.fail('truncated', 'strings longer than the input');
    }
    start[n] = total;
    const bytes = r.bytes(total);
    this.#bytes = bytes;
    this.#start = start;
    this.size = n;
    let ascii = true;
    for (let i = 0; i < total; i++) {
      if (bytes[i]! > 0x7f) {
        ascii = false;
        break;
      }
    }
    this.#ascii = ascii;
    if (!ascii) {
      for (let i = 0; i < n; i++) {
        try {
          decoder.decode(bytes.subarray(start[i]!, start[i + 1]!));
        } catch {
          r.fail('bad-utf8', `string ${i} is not valid UTF-8`);
        }
      }
    }
    for (let i = 1; i < keys; i++) {
      if (this.#compareAt(i - 1, bytes, start[i]!, start[i + 1]!) >= 0) {
        r.fail('invariant', `key ${i} is not after key ${i - 1}`);
      }
    }
  }

  /** String `i` (0 ≤ i < size). */
  at(i: number): string {
    const from = this.#start[i]!;
    const to = this.#start[i + 1]!;
    if (this.#text !== undefined) return this.#text.slice(from, to);
    // Reading many strings (a map materializing): decode all ASCII bytes at once, then slice.
    if (this.#ascii && ++this.#reads > SLICE_AFTER) {
      this.#text = latin1.decode(this.#bytes);
      return this.#text.slice(from, to);
    }
    const b = this.#bytes;
    if (to - from <= 32) {
      let s = '';
      let j = from;
      for (; j < to && b[j]! < 0x80; j++) s += String.fromCharCode(b[j]!);
      if (j === to) return s;
    }
    return decoder.decode(b.subarray(from, to));
  }

  /** The index in [0, keys) of the string whose UTF-8 is `key`, or -1. */
  find(key: Uint8Array, keys: number): number {
    let lo = 0;
    let hi = keys - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const c = this.#compareAt(mid, key, 0, key.length);
      if (c < 0) lo = mid + 1;
      else if (c > 0) hi = mid - 1;
      else return mid;
    }
    return -1;
  }

  /** {@link compareUtf8} of string `i` against `other[from, to)`. */
  #compareAt(i: number, other: Uint8Array, from: number, to: number): number {
    const a = this.#start[i]!;
    const length = this.#start[i + 1]! - a;
    if (length !== to - from) return length - (to - from);
    const b = this.#bytes;
    for (let j = 0; j < length; j++) {
      const d = b[a + j]! - other[from + j]!;
      if (d !== 0) return d;
    }
    return 0;
  }
}
