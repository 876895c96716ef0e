import {
  type AnyCrdtType,
  AWSetType,
  BoundedCounterType,
  CrdtType,
  GCounterType,
  type Key,
  LWWMapType,
  LWWRegisterType,
  MVRegisterType,
  ORMapType,
  ORSetType,
  PNCounterType,
  QuantityType,
  RWSetType,
  type Value,
} from '@helios/core';
import { BoundedCounterHandle } from './bounded-counter-handle.js';
import { ClientError } from './client-error.js';
import type { HandleClass } from './document-registry.js';
import {
  AWSetHandle,
  CounterHandle,
  CrdtMapHandle,
  DocumentHandle,
  GCounterHandle,
  LWWMapHandle,
  MVRegisterHandle,
  ORSetHandle,
  QuantityHandle,
  RegisterHandle,
  RWSetHandle,
} from './handles.js';

/**
 * The handle `client.open(id, type)` gives for a CRDT type. `E` is the type of the register's
 * value, the map's values or the set's elements, where the type has one. A type with no handle
 * of its own (a new one, say) opens with the generic {@link DocumentHandle}: its value, its
 * subscriptions, and `mutate` for any of the type's mutators.
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
                  : T extends BoundedCounterType
                    ? BoundedCounterHandle
                    : T extends QuantityType
                      ? QuantityHandle
                      : T extends CrdtType<infer S, infer V>
                        ? DocumentHandle<S, V>
                        : never;

// biome-ignore lint/suspicious/noExplicitAny: one row per CRDT type, each with its own state
type AnyHandleClass = HandleClass<any, unknown, DocumentHandle<any, unknown>>;

/**
 * The handle class of each CRDT type's class, at run time: the rows of {@link HandleOf}, which
 * match a type structurally, so a subclass of a type has its handle too.
 */
const HANDLES: ReadonlyMap<object, AnyHandleClass> = new Map<object, AnyHandleClass>([
  [PNCounterType, CounterHandle],
  [GCounterType, GCounterHandle],
  [LWWRegisterType, RegisterHandle],
  [MVRegisterType, MVRegisterHandle],
  [LWWMapType, LWWMapHandle],
  [ORSetType, ORSetHandle],
  [AWSetType, AWSetHandle],
  [RWSetType, RWSetHandle],
  [ORMapType, CrdtMapHandle],
  [BoundedCounterType, BoundedCounterHandle],
  [QuantityType, QuantityHandle],
]);

/**
 * The handle class documents of `type` open with: the row of its class or the nearest class it
 * extends (OR-Maps of any value type share one); a type with no handle of its own has the
 * generic {@link DocumentHandle}.
 */
export function handleClassOf(type: AnyCrdtType): AnyHandleClass {
  if (!(type instanceof CrdtType)) {
    throw new ClientError(
      'invalid-argument',
      `${String((type as { name?: unknown } | undefined)?.name)} is not a CRDT type`,
    );
  }
  for (let c = type.constructor; c !== CrdtType; c = Object.getPrototypeOf(c)) {
    const Handle = HANDLES.get(c);
    if (Handle !== undefined) return Handle;
  }
  return DocumentHandle as AnyHandleClass;
}
