import {
  type AnyCrdtType,
  AWSet,
  type AWSetType,
  GCounter,
  type GCounterType,
  type Key,
  LWWMap,
  type LWWMapType,
  LWWRegister,
  type LWWRegisterType,
  MVRegister,
  type MVRegisterType,
  ORMapType,
  ORSet,
  type ORSetType,
  PNCounter,
  type PNCounterType,
  RWSet,
  type RWSetType,
  type Value,
} from '@helios/core';
import { ClientError } from './client-error.js';
import type { HandleClass } from './document-registry.js';
import {
  AWSetHandle,
  CounterHandle,
  CrdtMapHandle,
  type DocumentHandle,
  GCounterHandle,
  LWWMapHandle,
  MVRegisterHandle,
  ORSetHandle,
  RegisterHandle,
  RWSetHandle,
} from './handles.js';

/**
 * The handle `client.open(id, type)` gives for a CRDT type. `E` is the type of the register's
 * value, the map's values or the set's elements, where the type has one.
 *
 * @example HandleOf<typeof PNCounter> // CounterHandle
 * @example HandleOf<typeof AWSet, 'red' | 'blue'> // AWSetHandle<'red' | 'blue'>
 */
export type HandleOf<T, E extends Value = Value> = T extends PNCounterType
  ? CounterHandle
  : T extends GCounterType
    ? GCounterHandle
    : T extends LWWRegisterType
      ? RegisterHandle<E>
      : T extends MVRegisterType
        ? MVRegisterHandle<E>
        : T extends LWWMapType
          ? LWWMapHandle<E>
          : T extends ORSetType
            ? ORSetHandle<E & Key>
            : T extends AWSetType
              ? AWSetHandle<E & Key>
              : T extends RWSetType
                ? RWSetHandle<E & Key>
                : T extends ORMapType<infer S, infer V>
                  ? CrdtMapHandle<S, V>
                  : never;

// biome-ignore lint/suspicious/noExplicitAny: one row per CRDT type, each with its own state
type AnyHandleClass = HandleClass<any, unknown, DocumentHandle<any, unknown>>;

/** The handle class of each CRDT type, at run time: the rows of {@link HandleOf}. */
const HANDLES: ReadonlyMap<AnyCrdtType, AnyHandleClass> = new Map<AnyCrdtType, AnyHandleClass>([
  [PNCounter, CounterHandle],
  [GCounter, GCounterHandle],
  [LWWRegister, RegisterHandle],
  [MVRegister, MVRegisterHandle],
  [LWWMap, LWWMapHandle],
  [ORSet, ORSetHandle],
  [AWSet, AWSetHandle],
  [RWSet, RWSetHandle],
]);

/** The handle class documents of `type` open with; OR-Maps of any value type share one. */
export function handleClassOf(type: AnyCrdtType): AnyHandleClass {
  if (type instanceof ORMapType) return CrdtMapHandle as AnyHandleClass;
  const Handle = HANDLES.get(type);
  if (Handle === undefined) {
    throw new ClientError(
      'invalid-argument',
      `no handle for the CRDT type ${String((type as { name?: unknown } | undefined)?.name)}`,
    );
  }
  return Handle;
}
