import { InvalidArgumentError } from '../errors.js';
import type { ByteReader } from './byte-reader.js';
import type { ByteWriter } from './byte-writer.js';

/**
 * What registers and maps hold: JSON's data model plus byte arrays. Numbers must be finite.
 * Values are compared structurally and encoded with a one-byte tag each.
 */
export type Value =
  | null
  | boolean
  | number
  | string
  | Uint8Array
  | readonly Value[]
  | { readonly [key: string]: Value };

/** What identifies set elements and map keys. `1` and `"1"` are different keys. */
export type Key = string | number;

enum Tag {
  Null = 0,
  False = 1,
  True = 2,
  Uint = 3,
  NegInt = 4,
  Float = 5,
  String = 6,
  Bytes = 7,
  Array = 8,
  Object = 9,
}

/**
 * Tags of state format 3 (see `STATE_FORMAT_VERSION`) that carry a small value in the tag byte
 * itself: a uint 0–63 is `0x40 + n`, a string of at most 127 UTF-8 bytes `0x80 + length`. Most
 * values an app stores (quantities, flags, names) so cost one byte less.
 */
const SMALL_UINT = 0x40;
const MAX_SMALL_UINT = 0x3f;
const SHORT_STRING = 0x80;
const MAX_SHORT_STRING = 0x7f;

/** The first state format whose values may use the one-byte tags above. */
const COMPACT_TAGS_FORMAT = 3;

/**
 * Deepest nesting a value may have. Kept well below the decoder's default depth limit (32),
 * which also counts the nesting of CRDT types around the value (an OR-Map of maps…): a value a
 * mutator accepts must be one every relay decodes.
 */
export const MAX_VALUE_DEPTH = 16;

/** In a `u` regex a surrogate pair is one code point, so this matches lone surrogates only. */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * UTF-8 cannot carry a lone surrogate: the encoder would send U+FFFD, and the writer would keep
 * a value that no other replica ever sees. Refuse such strings before they are stored.
 */
function assertWellFormed(s: string): void {
  if (LONE_SURROGATE.test(s)) {
    throw new InvalidArgumentError(
      'a string holds a lone UTF-16 surrogate, which UTF-8 cannot encode',
    );
  }
}

/** @throws {InvalidArgumentError} unless `v` is a {@link Value}. */
export function assertValue(v: unknown, depth = 0): asserts v is Value {
  if (depth > MAX_VALUE_DEPTH) throw new InvalidArgumentError('value nested too deeply');
  if (typeof v === 'string') {
    assertWellFormed(v);
    return;
  }
  if (v === null || typeof v === 'boolean' || v instanceof Uint8Array) return;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new InvalidArgumentError(`${v} is not a finite number`);
    return;
  }
  if (Array.isArray(v)) {
    for (const item of v) assertValue(item, depth + 1);
    return;
  }
  if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    for (const [key, item] of Object.entries(v)) {
      assertWellFormed(key);
      assertValue(item, depth + 1);
    }
    return;
  }
  throw new InvalidArgumentError(
    `${typeof v === 'object' ? 'this object' : typeof v} cannot be stored: use null, booleans, finite numbers, strings, Uint8Array, arrays and plain objects`,
  );
}

/** @throws {InvalidArgumentError} unless `k` is a string or a finite number. */
export function assertKey(k: unknown): asserts k is Key {
  if (typeof k === 'string') return assertWellFormed(k);
  if (typeof k === 'number' && Number.isFinite(k)) return;
  throw new InvalidArgumentError('a key or set element is a string or a finite number');
}

/**
 * Writes a value. With `compact`, as states of format 3 hold them (small uints and short strings
 * in their tag byte); without, as format 1 and the presence messages do.
 */
export function writeValue(w: ByteWriter, v: Value, compact = false): void {
  if (v === null) w.u8(Tag.Null);
  else if (v === false) w.u8(Tag.False);
  else if (v === true) w.u8(Tag.True);
  else if (typeof v === 'number') writeNumber(w, v, compact);
  else if (typeof v === 'string') {
    if (compact && w.shortString(v, SHORT_STRING, MAX_SHORT_STRING)) return;
    w.u8(Tag.String);
    w.string(v);
  } else if (v instanceof Uint8Array) {
    w.u8(Tag.Bytes);
    w.uint(v.length);
    w.bytes(v);
  } else if (Array.isArray(v)) {
    w.u8(Tag.Array);
    w.uint(v.length);
    for (const item of v as readonly Value[]) writeValue(w, item, compact);
  } else {
    const entries = Object.entries(v);
    w.u8(Tag.Object);
    w.uint(entries.length);
    for (const [key, item] of entries) {
      w.string(key);
      writeValue(w, item, compact);
    }
  }
}

function writeNumber(w: ByteWriter, n: number, compact = false): void {
  if (Number.isSafeInteger(n) && !Object.is(n, -0)) {
    if (compact && n >= 0 && n <= MAX_SMALL_UINT) {
      w.u8(SMALL_UINT + n);
    } else if (n >= 0) {
      w.u8(Tag.Uint);
      w.uint(n);
    } else {
      w.u8(Tag.NegInt);
      w.uint(-n - 1);
    }
  } else {
    w.u8(Tag.Float);
    w.f64(n);
  }
}

export function readValue(r: ByteReader): Value {
  const tag = r.u8();
  switch (tag) {
    case Tag.Null:
      return null;
    case Tag.False:
      return false;
    case Tag.True:
      return true;
    case Tag.Uint:
    case Tag.NegInt:
    case Tag.Float:
      return readNumberAfterTag(r, tag);
    case Tag.String:
      return r.string();
    case Tag.Bytes:
      return r.bytes(r.length());
    case Tag.Array:
      return r.nested(() => {
        const n = r.length();
        const out: Value[] = new Array(n);
        for (let i = 0; i < n; i++) out[i] = readValue(r);
        return out;
      });
    case Tag.Object:
      return r.nested(() => {
        const n = r.length(2);
        const out: Record<string, Value> = {};
        for (let i = 0; i < n; i++) {
          const key = r.string();
          if (Object.hasOwn(out, key)) r.fail('invariant', `duplicate object key "${key}"`);
          // defineProperty: a key named __proto__ must stay data, not change the prototype.
          Object.defineProperty(out, key, {
            value: readValue(r),
            enumerable: true,
            writable: true,
            configurable: true,
          });
        }
        return out;
      });
    default:
      if (r.format >= COMPACT_TAGS_FORMAT) {
        if (tag >= SHORT_STRING) return r.stringOfLength(tag - SHORT_STRING);
        if (tag >= SMALL_UINT) return tag - SMALL_UINT;
      }
      return r.fail('bad-tag', `unknown value tag ${tag}`);
  }
}

function readNumberAfterTag(r: ByteReader, tag: number): number {
  if (tag === Tag.Uint) return r.uint();
  if (tag === Tag.NegInt) return -r.uint() - 1;
  const n = r.f64();
  if (!Number.isFinite(n)) r.fail('invariant', 'non-finite number');
  return n;
}

/**
 * Keys are mostly short strings, so a string key is just its length-prefixed UTF-8 with the
 * length doubled; an odd first varint announces a number (its value tag follows). With
 * `headOfOne`, the key is the only one of its map and its head is written as the map's size
 * (see `writeHeadOfOne`): the head doubled plus one.
 */
export function writeKey(w: ByteWriter, k: Key, headOfOne = false): void {
  if (typeof k === 'string') {
    if (headOfOne) w.string(k, 4, 1);
    else w.string(k, 2);
  } else {
    w.u8(headOfOne ? 3 : 1);
    writeNumber(w, k);
  }
}

/** Reads a key; `head` is its first varint when the caller has read it already. */
export function readKey(r: ByteReader, head: number = r.uint()): Key {
  if (head % 2 === 0) return r.stringOfLength(head / 2);
  if (head !== 1) r.fail('bad-tag', `a key starts with 1 or an even length, not ${head}`);
  const tag = r.u8();
  if (tag === Tag.Uint || tag === Tag.NegInt || tag === Tag.Float)
    return readNumberAfterTag(r, tag);
  return r.fail('bad-tag', `tag ${tag} cannot start a key`);
}

/** Structural equality of values. */
export function valueEquals(a: Value, b: Value): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    if (!(a instanceof Uint8Array && b instanceof Uint8Array) || a.length !== b.length) {
      return false;
    }
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!(Array.isArray(a) && Array.isArray(b)) || a.length !== b.length) return false;
    return a.every((item, i) => valueEquals(item, b[i] as Value));
  }
  const ka = Object.keys(a);
  const rec = b as { readonly [key: string]: Value };
  if (ka.length !== Object.keys(rec).length) return false;
  return ka.every(
    (key) => Object.hasOwn(rec, key) && valueEquals((a as typeof rec)[key]!, rec[key]!),
  );
}
