import {
  AWSet,
  type ClockedActor,
  type CrdtState,
  type CrdtType,
  type Dot,
  GCounter,
  type Key,
  LWWMap,
  LWWRegister,
  MVRegister,
  type ORMapType,
  ORSet,
  PNCounter,
  Quantity,
  type ReplicaId,
  RWSet,
  StateRefusalError,
  type Value,
} from '@helios/core';
import { Observable } from 'rxjs';
import type { ClientDocument } from './client-document.js';
import { Receipt } from './receipt.js';
import type { ClientRights } from './rights-requests.js';

/**
 * What a handle needs from the client: a way to apply a mutation as this client's replica, and
 * that replica's id (undefined until the client is ready).
 */
export interface Writer {
  readonly replica: ReplicaId | undefined;
  /** Bounded-counter rights drawn from the relay. */
  readonly rights: ClientRights;
  write<S>(
    doc: ClientDocument<S, unknown>,
    mutate: (state: CrdtState<S>, actor: ClockedActor) => CrdtState<S>,
  ): Receipt;
}

/**
 * A live view of one document: a synchronous value, change notifications, an rxjs Observable,
 * and typed mutators that apply at once and return a {@link Receipt}. Handles of one document
 * id are shared: `client.counter('likes')` twice returns the same handle.
 *
 * @typeParam S - The CRDT's state (see `@helios/core`).
 * @typeParam V - The value as the application reads it, typed by what the handle was opened
 * with (`client.register<Settings>('x')` reads `Settings | undefined`).
 */
export class DocumentHandle<S, V> {
  readonly id: string;
  readonly #doc: ClientDocument<S, unknown>;
  readonly #writer: Writer;
  /** The value as an Observable: emits the current value, then every change. */
  readonly value$: Observable<V>;

  constructor(doc: ClientDocument<S, unknown>, writer: Writer) {
    this.id = doc.id;
    this.#doc = doc;
    this.#writer = writer;
    this.value$ = new Observable<V>((subscriber) => {
      subscriber.next(this.value);
      return doc.subscribe(() => subscriber.next(this.value));
    });
  }

  /**
   * The current value (the type's empty value until the document has loaded): the same object
   * until the document changes.
   */
  get value(): V {
    // The CRDT knows only `Value`/`Key`. `V` is the application's word that every writer of
    // this document uses its type (the typed mutators keep this replica to it); core checks
    // that values are storable (assertValue, and validation of what the network delivers), not
    // their shape. This is the one place the two types meet.
    return this.#doc.value() as V;
  }

  get type(): CrdtType<S, unknown> {
    return this.#doc.type;
  }

  /** Resolves once the document is loaded from local storage; writes before that are queued. */
  get loaded(): Promise<void> {
    return this.#doc.loaded;
  }

  get isLoaded(): boolean {
    return this.#doc.isLoaded;
  }

  /** Calls `listener` after every change of the value; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void {
    return this.#doc.subscribe(listener);
  }

  /**
   * Reads what the value does not show (who wrote what: a bounded counter's totals per replica,
   * a quantity's units by the replica that added them) from the document's state and the replica
   * this client writes as (undefined until ready). `fn` must not change the state, nor keep it:
   * merges change it in place.
   *
   * @example
   * const seats = client.open('seats', Quantity);
   * const mine = seats.read((state, me) => state.store.filter((u) => u.replica === me).length);
   */
  read<T>(fn: (state: CrdtState<S>, replica: ReplicaId | undefined) => T): T {
    return fn(this.#doc.state, this.#writer.replica);
  }

  /** The client this handle writes through. */
  protected get writer(): Writer {
    return this.#writer;
  }

  /**
   * Applies any mutator of the document's type (see `@helios/core`). A mutator that refuses the
   * write because of what the state holds (a `StateRefusalError`: a quantity's decrement beyond
   * its value, a bounded counter's beyond its rights) applies nothing, and the receipt has failed
   * at once: `receipt.error` is that error and `wait()` rejects with it. Bad arguments throw.
   */
  mutate(mutator: (state: CrdtState<S>, actor: ClockedActor) => CrdtState<S>): Receipt {
    try {
      return this.#writer.write(this.#doc, mutator);
    } catch (err) {
      if (!(err instanceof StateRefusalError)) throw err;
      const refused = new Receipt(this.id, undefined);
      refused.fail(err);
      return refused;
    }
  }
}

type StateOf<T> = T extends CrdtType<infer S, unknown> ? S : never;

/** PN-Counter: likes, cart quantities. */
export class CounterHandle extends DocumentHandle<StateOf<typeof PNCounter>, number> {
  increment(by = 1): Receipt {
    return this.mutate((s, a) => PNCounter.increment(s, a, by));
  }
  decrement(by = 1): Receipt {
    return this.mutate((s, a) => PNCounter.decrement(s, a, by));
  }
}

/**
 * Quantity: a count that never goes below zero, for small counts (seats of a booking; cart lines
 * are quantities in a `crdtMap`). A decrement beyond the value applies nothing and its receipt
 * has failed with a `QuantityBelowZeroError` (code `quantity-below-zero`).
 */
export class QuantityHandle extends DocumentHandle<StateOf<typeof Quantity>, number> {
  increment(by = 1): Receipt {
    return this.mutate((s, a) => Quantity.increment(s, a, by));
  }
  decrement(by = 1): Receipt {
    return this.mutate((s, a) => Quantity.decrement(s, a, by));
  }
  /** Takes away every unit this replica sees: units added concurrently elsewhere stay. */
  reset(): Receipt {
    return this.mutate((s, a) => Quantity.reset(s, a));
  }
}

/** G-Counter: page views, downloads. */
export class GCounterHandle extends DocumentHandle<StateOf<typeof GCounter>, number> {
  increment(by = 1): Receipt {
    return this.mutate((s, a) => GCounter.increment(s, a, by));
  }
}

/** LWW-Register holding values of type `T`. */
export class RegisterHandle<T extends Value> extends DocumentHandle<
  StateOf<typeof LWWRegister>,
  T | undefined
> {
  set(value: T): Receipt {
    return this.mutate((s, a) => LWWRegister.set(s, a, value));
  }
}

/** Multi-value register: `values` holds every concurrent version until one is chosen. */
export class MVRegisterHandle<T extends Value> extends DocumentHandle<
  StateOf<typeof MVRegister>,
  readonly T[]
> {
  /** Every concurrent version: the same array as {@link value}. */
  get values(): readonly T[] {
    return this.value;
  }
  /** True when concurrent writes left more than one version. */
  get conflicted(): boolean {
    return this.value.length > 1;
  }
  set(value: T): Receipt {
    return this.mutate((s, a) => MVRegister.set(s, a, value));
  }
  /** Resolves a conflict: writes `value`, replacing every version this replica has seen. */
  resolve(value: T): Receipt {
    return this.set(value);
  }
}

/** LWW-Map from keys to values of type `V`. */
export class LWWMapHandle<V extends Value> extends DocumentHandle<
  StateOf<typeof LWWMap>,
  ReadonlyMap<Key, V>
> {
  /** The value of `key`, looked up in the state: the whole map's value is not built for it. */
  get(key: Key): V | undefined {
    return this.read((state) => LWWMap.get(state, key)) as V | undefined;
  }
  set(key: Key, value: V): Receipt {
    return this.mutate((s, a) => LWWMap.set(s, a, key, value));
  }
  delete(key: Key): Receipt {
    return this.mutate((s, a) => LWWMap.remove(s, a, key));
  }
}

/** The mutators the Add-Wins and Remove-Wins sets share: elements added and removed by value. */
export interface ElementSetType<S> {
  add(state: CrdtState<S>, actor: ClockedActor, element: Key): CrdtState<S>;
  remove(state: CrdtState<S>, actor: ClockedActor, element: Key): CrdtState<S>;
}

/**
 * A set of `T` whose elements are added and removed by value; the two semantics differ only in
 * which wins when an add and a remove of one element are concurrent.
 */
export abstract class ElementSetHandle<S, T extends Key> extends DocumentHandle<S, ReadonlySet<T>> {
  protected abstract readonly set: ElementSetType<S>;

  has(element: T): boolean {
    return this.value.has(element);
  }
  add(element: T): Receipt {
    return this.mutate((s, a) => this.set.add(s, a, element));
  }
  remove(element: T): Receipt {
    return this.mutate((s, a) => this.set.remove(s, a, element));
  }
}

/** Add-Wins Set of `T`: a concurrent add and remove of one element keep it. */
export class AWSetHandle<T extends Key> extends ElementSetHandle<StateOf<typeof AWSet>, T> {
  protected readonly set = AWSet;
}

/** Remove-Wins Set of `T`: a concurrent add and remove of one element drop it. */
export class RWSetHandle<T extends Key> extends ElementSetHandle<StateOf<typeof RWSet>, T> {
  protected readonly set = RWSet;
}

/** OR-Set of `T` with addressable instances: `add` returns the instance's tag. */
export class ORSetHandle<T extends Key> extends DocumentHandle<
  StateOf<typeof ORSet>,
  ReadonlySet<T>
> {
  has(element: T): boolean {
    return this.value.has(element);
  }
  /** Adds an instance of `element`; `tag` names it for {@link removeTag}. */
  add(element: T): { receipt: Receipt; tag: Dot | undefined } {
    let tag: Dot | undefined;
    const receipt = this.mutate((s, a) => {
      const added = ORSet.add(s, a, element);
      tag = added.tag;
      return added.delta;
    });
    return { receipt, tag: tag ?? receipt.dot };
  }
  remove(element: T): Receipt {
    return this.mutate((s, a) => ORSet.remove(s, a, element));
  }
  removeTag(tag: Dot): Receipt {
    return this.mutate((s, a) => ORSet.removeTag(s, a, tag));
  }
}

/**
 * OR-Map of nested CRDTs: `update(key, mutator)` applies a mutator of the value type to one
 * key; `remove(key)` drops the key as this replica sees it.
 *
 * @example cart.update('sku-1', (line, me) => PNCounter.increment(line, me, 1))
 */
export class CrdtMapHandle<S, V> extends DocumentHandle<
  StateOf<ORMapType<S, V>>,
  ReadonlyMap<Key, V>
> {
  update(key: Key, mutator: (value: CrdtState<S>, actor: ClockedActor) => CrdtState<S>): Receipt {
    const type = this.type as ORMapType<S, V>;
    return this.mutate((s, a) => type.update(s, key, (nested) => mutator(nested, a)));
  }
  remove(key: Key): Receipt {
    const type = this.type as ORMapType<S, V>;
    return this.mutate((s, a) => type.remove(s, a, key));
  }
}
