import {
  type AnyCrdtType,
  AWSet,
  type AWSetType,
  type CrdtType,
  GCounter,
  type Key,
  LWWMap,
  type LWWMapType,
  LWWRegister,
  type LWWRegisterType,
  MVRegister,
  type MVRegisterType,
  ORSet,
  type ORSetType,
  orMap,
  PNCounter,
  RWSet,
  type RWSetType,
  type Value,
} from '@helios/core';
import type { HandleOf } from './handle-table.js';
import type {
  AWSetHandle,
  CounterHandle,
  CrdtMapHandle,
  GCounterHandle,
  LWWMapHandle,
  MVRegisterHandle,
  ORSetHandle,
  RegisterHandle,
  RWSetHandle,
} from './handles.js';

/**
 * The client's shortcuts for opening a document of each CRDT type: `client.counter(id)` for
 * `client.open(id, PNCounter)` and so on. Apart from the client so that it stays about the
 * client's parts, not the list of types.
 */
export abstract class DocumentShortcuts {
  /** Opens document `id` as a CRDT of `type` (see `HeliosClient.open`). */
  abstract open<T extends AnyCrdtType, E extends Value = Value>(
    id: string,
    type: T,
  ): HandleOf<T, E>;

  /** `open(id, PNCounter)`. */
  counter(id: string): CounterHandle {
    return this.open(id, PNCounter);
  }
  /** `open(id, GCounter)`. */
  gCounter(id: string): GCounterHandle {
    return this.open(id, GCounter);
  }
  /** `open(id, LWWRegister)` holding values of type `T`. */
  register<T extends Value>(id: string): RegisterHandle<T> {
    return this.open<LWWRegisterType, T>(id, LWWRegister);
  }
  /** `open(id, MVRegister)` holding values of type `T`. */
  mvRegister<T extends Value>(id: string): MVRegisterHandle<T> {
    return this.open<MVRegisterType, T>(id, MVRegister);
  }
  /** `open(id, LWWMap)` with values of type `V`. */
  lwwMap<V extends Value>(id: string): LWWMapHandle<V> {
    return this.open<LWWMapType, V>(id, LWWMap);
  }
  /** `open(id, ORSet)` of elements of type `T`. */
  orSet<T extends Key>(id: string): ORSetHandle<T> {
    return this.open<ORSetType, T>(id, ORSet);
  }
  /** `open(id, AWSet)` of elements of type `T`. */
  awSet<T extends Key>(id: string): AWSetHandle<T> {
    return this.open<AWSetType, T>(id, AWSet);
  }
  /** `open(id, RWSet)` of elements of type `T`. */
  rwSet<T extends Key>(id: string): RWSetHandle<T> {
    return this.open<RWSetType, T>(id, RWSet);
  }
  /** An OR-Map whose values are CRDTs of `valueType`, e.g. `client.crdtMap('cart', PNCounter)`. */
  crdtMap<S, V>(id: string, valueType: CrdtType<S, V>): CrdtMapHandle<S, V> {
    return this.open(id, orMap(valueType));
  }
}
