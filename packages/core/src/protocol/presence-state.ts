import type { ByteReader } from '../codec/byte-reader.js';
import { ByteWriter } from '../codec/byte-writer.js';
import { assertValue, readValue, type Value, writeValue } from '../codec/value.js';
import { InvalidArgumentError } from '../errors.js';
import { MAX_PRESENCE_ID_LENGTH, MAX_PRESENCE_STATE_BYTES } from './messages.js';

/**
 * Whether `value` is JSON's data model (no byte arrays): presence states are shown to others
 * as they are, and JSON is what apps put there and what tools can display.
 */
export function isJsonValue(value: Value): boolean {
  if (value instanceof Uint8Array) return false;
  if (Array.isArray(value)) return value.every(isJsonValue);
  if (value !== null && typeof value === 'object') {
    return Object.values(value as Record<string, Value>).every(isJsonValue);
  }
  return true;
}

/** The size of a presence state on the wire (its `Value` encoding), in bytes. */
export function presenceStateBytes(state: Value): number {
  const w = new ByteWriter(64);
  writeValue(w, state);
  return w.finish().length;
}

/**
 * Checks a presence state before it is sent: a JSON value (finite numbers, no byte arrays, at
 * most `MAX_VALUE_DEPTH` deep) of at most {@link MAX_PRESENCE_STATE_BYTES} encoded.
 * @throws {InvalidArgumentError} otherwise.
 */
export function assertPresenceState(state: unknown): asserts state is Value {
  assertValue(state);
  if (!isJsonValue(state)) {
    throw new InvalidArgumentError('a presence state is a JSON value: no Uint8Array');
  }
  const bytes = presenceStateBytes(state);
  if (bytes > MAX_PRESENCE_STATE_BYTES) {
    throw new InvalidArgumentError(
      `a presence state has at most ${MAX_PRESENCE_STATE_BYTES} bytes encoded, this one ${bytes}`,
    );
  }
}

// ─── on the wire (message-codec.ts) ───────────────────────────────────────────────────────

/** A flag byte (0: none, 1: a state), then the state's `Value` encoding. */
export function writePresenceState(w: ByteWriter, state: Value | undefined): void {
  w.u8(state === undefined ? 0 : 1);
  if (state !== undefined) writeValue(w, state);
}

/** A relay-stamped name (entry id, region, user): bounded, and empty only where optional. */
export function readPresenceName(r: ByteReader, optional: boolean): string {
  const value = r.string();
  if ((!optional && value.length === 0) || value.length > MAX_PRESENCE_ID_LENGTH) {
    r.fail(
      'invariant',
      `a presence id, region or user has up to ${MAX_PRESENCE_ID_LENGTH} characters`,
    );
  }
  return value;
}

/** A presence state, if any: at most {@link MAX_PRESENCE_STATE_BYTES}, at the reader's depth limit. */
export function readPresenceState(r: ByteReader): { state?: Value } {
  const flag = r.u8();
  if (flag === 0) return {};
  if (flag !== 1) return r.fail('bad-tag', `presence state flag ${flag}`);
  const start = r.offset;
  const state = readValue(r);
  if (r.offset - start > MAX_PRESENCE_STATE_BYTES) {
    r.fail('invariant', `a presence state has at most ${MAX_PRESENCE_STATE_BYTES} bytes`);
  }
  if (!isJsonValue(state)) r.fail('invariant', 'a presence state is a JSON value, without bytes');
  return { state };
}

/** The user a relay stamped on a presence entry, if any (written as an empty string if none). */
export function readPresenceUser(r: ByteReader): { user?: string } {
  const id = readPresenceName(r, true);
  return id === '' ? {} : { user: id };
}
