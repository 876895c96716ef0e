import { ByteWriter } from '../codec/byte-writer.js';
import { assertValue, type Value, writeValue } from '../codec/value.js';
import { InvalidArgumentError } from '../errors.js';
import { MAX_PRESENCE_STATE_BYTES } from './messages.js';

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
