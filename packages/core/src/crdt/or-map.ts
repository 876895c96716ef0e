import type { ByteWriter } from '../codec/byte-writer.js';
import { assertKey, type Key } from '../codec/value.js';
import { InvalidArgumentError } from '../errors.js';
import { type DeltaCheck, underMapKey } from './admission.js';
import type { ConflictDescription, ConflictScope } from './conflicts.js';
import { type Actor, type CrdtState, CrdtType } from './crdt-type.js';
import { type DotMap, dotMapKind, singletonDotMap } from './dot-map.js';
import { type JsonValue, jsonObject } from './json-value.js';
import { type AnyCrdtType, readType, registerType } from './registry.js';
import { TypeIds } from './type-ids.js';

/**
 * Observed-remove map of nested CRDTs (the "causal map" of delta-state CRDTs). Every value is a
 * CRDT of one type sharing the map's causal context; a key is present while its value holds a
 * dot. Removing a key drops the dots the remover has seen, so an update concurrent with the
 * remove keeps the key alive with what that update's writer had: a cart line whose quantity was
 * raised on one device while another removed it stays, with the raising device's quantity.
 */
export class ORMapType<S, V> extends CrdtType<DotMap<S>, Map<Key, V>> {
  readonly typeId = TypeIds.orMap;
  readonly name: string;
  readonly kind;
  readonly valueType: CrdtType<S, V>;

  constructor(valueType: CrdtType<S, V>) {
    super();
    this.valueType = valueType;
    this.name = `or-map<${valueType.name}>`;
    this.kind = dotMapKind(valueType.kind);
  }

  override writeParams(w: ByteWriter): void {
    w.uint(this.valueType.typeId);
    this.valueType.writeParams(w);
  }

  /**
   * Removing a key drops every entry under it that the remover has seen: that is the map's
   * semantics, whatever the values. A key the delta keeps is an update of its value, held to the
   * value type's own rule (a cart line may go; another replica's quantity in a kept line may not
   * be rewritten).
   */
  override checkDelta(current: DotMap<S>, delta: DotMap<S>, check: DeltaCheck): void {
    const none = this.valueType.kind.empty();
    const underKey = underMapKey(check);
    for (const [key, nested] of delta.entries) {
      this.valueType.checkDelta(current.entries.get(key) ?? none, nested, underKey);
    }
  }

  /** The conflicts of the values the delta wrote, each by its own type's count. */
  override conflicts(merged: DotMap<S>, delta: DotMap<S>): number {
    const none = this.valueType.kind.empty();
    let n = 0;
    for (const [key, nested] of delta.entries) {
      n += this.valueType.conflicts(merged.entries.get(key) ?? none, nested);
    }
    return n;
  }

  /** The conflicts of the values the delta wrote, each under its key (the outermost one). */
  override describeConflicts(
    merged: DotMap<S>,
    delta: DotMap<S>,
    scope: ConflictScope,
  ): ConflictDescription[] {
    const none = this.valueType.kind.empty();
    const out: ConflictDescription[] = [];
    for (const [key, nested] of delta.entries) {
      const found = this.valueType.describeConflicts(
        merged.entries.get(key) ?? none,
        nested,
        scope,
      );
      for (const d of found) out.push({ ...d, key });
    }
    return out;
  }

  value(state: CrdtState<DotMap<S>>): Map<Key, V> {
    const out = new Map<Key, V>();
    for (const [key, store] of state.store.entries) {
      out.set(key, this.valueType.value({ context: state.context, store }));
    }
    return out;
  }

  /** An object of each key's value in the value type's own JSON form. */
  override toJson(state: CrdtState<DotMap<S>>): JsonValue {
    const { context } = state;
    return jsonObject(state.store.entries, (store) => this.valueType.toJson({ context, store }));
  }

  /** The nested state at `key` (sharing the map's context), or `undefined` if absent. */
  get(state: CrdtState<DotMap<S>>, key: Key): CrdtState<S> | undefined {
    const store = state.store.entries.get(key);
    return store === undefined ? undefined : { context: state.context, store };
  }

  /**
   * Applies a mutator of the value type to the value at `key` (an empty value if absent) and
   * returns the map's delta. The nested state passed to `mutate` must not be changed.
   *
   * @example cart.update(state, 'sku-1', (line) => PNCounter.increment(line, actor, 2))
   */
  update(
    state: CrdtState<DotMap<S>>,
    key: Key,
    mutate: (value: CrdtState<S>) => CrdtState<S>,
  ): CrdtState<DotMap<S>> {
    assertKey(key);
    const current = state.store.entries.get(key) ?? this.valueType.kind.empty();
    const nested = mutate({ context: state.context, store: current });
    return {
      context: nested.context,
      store: this.valueType.kind.isEmpty(nested.store)
        ? this.kind.empty()
        : singletonDotMap(this.valueType.kind, key, nested.store),
    };
  }

  /** Removes `key` as this replica sees it. Returns the delta. */
  remove(state: CrdtState<DotMap<S>>, actor: Actor, key: Key): CrdtState<DotMap<S>> {
    assertKey(key);
    const out = this.empty();
    const store = state.store.entries.get(key);
    if (store !== undefined) {
      this.valueType.kind.forEachDot(store, (replica, seq) => out.context.add(replica, seq));
    }
    const next = state.context.next(actor.replica);
    out.context.add(next.replica, next.seq);
    return out;
  }
}

const cache = new WeakMap<AnyCrdtType, AnyCrdtType>();

/** The OR-Map type whose values are of `valueType`; one instance per value type. */
export function orMap<S, V>(valueType: CrdtType<S, V>): ORMapType<S, V> {
  if (!(valueType instanceof CrdtType)) {
    throw new InvalidArgumentError('an OR-Map needs a CRDT type for its values');
  }
  let type = cache.get(valueType);
  if (type === undefined) {
    type = new ORMapType(valueType);
    cache.set(valueType, type);
  }
  return type as ORMapType<S, V>;
}

registerType(TypeIds.orMap, (r) => orMap(readType(r)));
