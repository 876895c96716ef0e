import { ByteReader } from '../codec/byte-reader.js';
import type { DecodeLimits } from '../codec/limits.js';
import { type CrdtState, type CrdtType, readStateHeader } from './crdt-type.js';
import { RETIRED_TYPE_IDS } from './type-ids.js';

/** Any CRDT type, with its payload and value types erased. */
// biome-ignore lint/suspicious/noExplicitAny: the registry holds types of every payload shape.
export type AnyCrdtType = CrdtType<any, unknown>;

/** A state of any type, as a relay holds documents whose schema it does not know. */
// biome-ignore lint/suspicious/noExplicitAny: the payload shape is the type's.
export type AnyCrdtState = CrdtState<any>;

/** Reads a type's parameters (for OR-Map, its value type) and returns the type. */
export type TypeReader = (r: ByteReader) => AnyCrdtType;

const readers = new Map<number, TypeReader>();

/**
 * Makes a type decodable by id, so that a relay can merge documents it has no schema for.
 * Built-in types register themselves; ids 1–15 are reserved for them.
 */
export function registerType(typeId: number, read: TypeReader): void {
  if (!Number.isInteger(typeId) || typeId < 1 || typeId > 31) {
    throw new RangeError(`type ids are integers from 1 to 31, not ${typeId}`);
  }
  const existing = readers.get(typeId);
  if (existing !== undefined && existing !== read) {
    throw new Error(`type id ${typeId} is already registered`);
  }
  readers.set(typeId, read);
}

/** Reads a type descriptor: its id, then its parameters. */
export function readType(r: ByteReader, typeId: number = r.uint()): AnyCrdtType {
  const read = readers.get(typeId);
  if (read === undefined) {
    const retired = RETIRED_TYPE_IDS.get(typeId);
    return r.fail(
      'unknown-type',
      retired === undefined
        ? `no CRDT type has id ${typeId}`
        : `type id ${typeId} is retired: it was ${retired}`,
    );
  }
  return r.nested(() => read(r));
}

/** A decoded state together with the type its header named. */
export interface DecodedState {
  readonly type: AnyCrdtType;
  readonly state: AnyCrdtState;
}

/**
 * Decodes a state of whatever registered type its header names, in either format: a delta or
 * state (version 1) or a snapshot (version 2, see `CrdtType.encodeSnapshot`).
 * @throws {DecodeError} on malformed bytes or an unknown type.
 */
export function decodeState(bytes: Uint8Array, limits?: DecodeLimits): DecodedState {
  const r = new ByteReader(bytes, limits);
  const header = readStateHeader(r);
  const type = readType(r, header.typeId);
  const state = type.readBody(r, header);
  r.end();
  return { type, state };
}

/** Reads the type named by an encoded state's header, without decoding the state. */
export function typeOfEncoded(bytes: Uint8Array, limits?: DecodeLimits): AnyCrdtType {
  const r = new ByteReader(bytes, limits);
  return readType(r, readStateHeader(r).typeId);
}
