import type { Key } from '../codec/value.js';

/** A JSON value, as `JSON.stringify` writes it and Postgres' `jsonb` holds it. */
export type JsonValue =
  | null
  | boolean
  | number
  | string
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue };

/**
 * Orders set elements and map keys the same way on every replica, whatever order they were
 * added in: numbers ascending, then strings by UTF-16 code units.
 */
export function compareKeys(a: Key, b: Key): number {
  if (typeof a === 'number') return typeof b === 'number' ? a - b : -1;
  if (typeof b === 'number') return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The JSON form of what a CRDT's `value` returns (see `CrdtType.toJson`): a `Set` becomes an
 * array of its elements (numbers ascending, then strings), a `Map` an object (a number key becomes
 * its decimal string), a `Uint8Array` `{"$bytes": "<base64>"}`, `undefined` (an LWW-Register
 * never written) `null`. Plain values stay as they are.
 */
export function jsonOf(value: unknown): JsonValue {
  if (value === undefined || value === null) return null;
  if (typeof value === 'boolean' || typeof value === 'number' || typeof value === 'string') {
    return value;
  }
  if (value instanceof Uint8Array) return { $bytes: base64(value) };
  if (value instanceof Set) return [...(value as Set<Key>)].sort(compareKeys);
  if (value instanceof Map) return jsonObject(value as Map<Key, unknown>, jsonOf);
  if (Array.isArray(value)) return value.map(jsonOf);
  // fromEntries defines own properties: a `__proto__` key stays a key.
  return Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, jsonOf(v)]));
}

/**
 * A map as a JSON object, its keys in {@link compareKeys} order, each value through `each`.
 * A number key becomes its decimal string: were a map to hold both `1` and `"1"`, the string
 * key's value (which sorts last) is the one shown.
 */
export function jsonObject<V>(map: ReadonlyMap<Key, V>, each: (value: V) => JsonValue): JsonValue {
  const keys = [...map.keys()].sort(compareKeys);
  return Object.fromEntries(keys.map((key) => [String(key), each(map.get(key)!)]));
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Standard base64 with padding; core runs in browsers and Node, so no Buffer. */
function base64(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    out += BASE64[(n >> 18) & 63]! + BASE64[(n >> 12) & 63]!;
    out += i + 1 < bytes.length ? BASE64[(n >> 6) & 63]! : '=';
    out += i + 2 < bytes.length ? BASE64[n & 63]! : '=';
  }
  return out;
}
