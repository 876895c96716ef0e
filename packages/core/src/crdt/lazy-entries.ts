import type { Key } from '../codec/value.js';

/**
 * Where a {@link LazyEntries} reads its entries before it holds them: a snapshot's columns,
 * already checked in full, so none of these can fail.
 */
export interface EntrySource<S> {
  /** Number of keys. */
  readonly size: number;
  /** The index of `key`, or -1. */
  find(key: Key): number;
  keyAt(index: number): Key;
  /** A fresh store of the key at `index`. */
  storeAt(index: number): S;
}

/**
 * The `entries` of a map decoded from a snapshot: a `Map` that answers `get`, `has` and `size`
 * from its {@link EntrySource} (one key decoded per lookup, kept so that the same key gives the
 * same store, as a Map does), and becomes a plain Map, holding every entry, on the first write or
 * iteration. Opening a large document to show one value decodes that value only; a merge, which
 * writes, or reading the whole value pays for the rest once, and is then as fast as ever.
 */
export class LazyEntries<S> extends Map<Key, S> {
  #source: EntrySource<S> | undefined;
  /** Stores handed out before materializing, by key index. */
  #fetched = new Map<number, S>();

  constructor(source: EntrySource<S>) {
    super();
    this.#source = source;
  }

  /** True until the first write or iteration. */
  get isLazy(): boolean {
    return this.#source !== undefined;
  }

  /** Decodes every entry into the Map (in the snapshot's key order); once. */
  materialize(): void {
    const source = this.#source;
    if (source === undefined) return;
    this.#source = undefined;
    for (let i = 0; i < source.size; i++) {
      super.set(source.keyAt(i), this.#fetched.get(i) ?? source.storeAt(i));
    }
    this.#fetched.clear();
  }

  override get size(): number {
    return this.#source?.size ?? super.size;
  }

  override get(key: Key): S | undefined {
    const source = this.#source;
    if (source === undefined) return super.get(key);
    const i = source.find(key);
    if (i < 0) return undefined;
    let store = this.#fetched.get(i);
    if (store === undefined) {
      store = source.storeAt(i);
      this.#fetched.set(i, store);
    }
    return store;
  }

  override has(key: Key): boolean {
    const source = this.#source;
    return source === undefined ? super.has(key) : source.find(key) >= 0;
  }

  override set(key: Key, store: S): this {
    this.materialize();
    return super.set(key, store);
  }

  override delete(key: Key): boolean {
    this.materialize();
    return super.delete(key);
  }

  override clear(): void {
    this.#source = undefined;
    this.#fetched.clear();
    super.clear();
  }

  override forEach(fn: (store: S, key: Key, map: Map<Key, S>) => void, thisArg?: unknown): void {
    this.materialize();
    super.forEach(fn, thisArg);
  }

  override entries(): MapIterator<[Key, S]> {
    this.materialize();
    return super.entries();
  }

  override keys(): MapIterator<Key> {
    this.materialize();
    return super.keys();
  }

  override values(): MapIterator<S> {
    this.materialize();
    return super.values();
  }

  override [Symbol.iterator](): MapIterator<[Key, S]> {
    return this.entries();
  }
}
