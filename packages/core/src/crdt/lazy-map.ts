/**
 * Where a {@link LazyMap} reads its entries before it holds them: a snapshot's columns, already
 * checked in full, so none of these can fail.
 */
export interface MapSource<K, V> {
  /** Number of entries. */
  readonly size: number;
  /** The index of the entry of `key`, or -1. */
  find(key: K): number;
  keyAt(index: number): K;
  /** A fresh value of the entry at `index`. */
  valueAt(index: number): V;
}

/**
 * A map decoded from a snapshot (a DotMap's entries, its owners index): a `Map` that answers
 * `get`, `has`, `size`, `set` and `delete` from its {@link MapSource} plus an overlay of what was
 * written since (one entry decoded per lookup, kept so that the same key gives the same value, as
 * a Map does), and becomes a plain Map, holding every entry, on the first iteration. Opening a
 * large document to show one value decodes that value only, and merging deltas into it decodes
 * the keys they touch; reading the whole value pays for the rest once, and is then as fast as
 * ever.
 */
export class LazyMap<K, V> extends Map<K, V> {
  #source: MapSource<K, V> | undefined;
  /** Values handed out by `get`, by source index: the map keeps these ones, as a Map would. */
  readonly #fetched = new Map<number, V>();
  /** Source keys written or deleted since: their entry, if any, is in the Map itself. */
  readonly #shadowed = new Set<number>();

  constructor(source: MapSource<K, V>) {
    super();
    this.#source = source;
  }

  /** True until the first iteration. */
  get isLazy(): boolean {
    return this.#source !== undefined;
  }

  /** Decodes every entry not written since into the Map; once. */
  materialize(): void {
    const source = this.#source;
    if (source === undefined) return;
    this.#source = undefined;
    const written = [...super.entries()];
    super.clear();
    for (let i = 0; i < source.size; i++) {
      if (!this.#shadowed.has(i)) {
        super.set(source.keyAt(i), this.#fetched.get(i) ?? source.valueAt(i));
      }
    }
    for (const [key, value] of written) super.set(key, value);
    this.#fetched.clear();
    this.#shadowed.clear();
  }

  /** The source index of `key` if the source still holds it, else -1. */
  #indexOf(source: MapSource<K, V>, key: K): number {
    const i = source.find(key);
    return i >= 0 && !this.#shadowed.has(i) ? i : -1;
  }

  override get size(): number {
    const source = this.#source;
    return source === undefined ? super.size : source.size - this.#shadowed.size + super.size;
  }

  override get(key: K): V | undefined {
    const source = this.#source;
    if (source === undefined || super.has(key)) return super.get(key);
    const i = this.#indexOf(source, key);
    if (i < 0) return undefined;
    let value = this.#fetched.get(i);
    if (value === undefined) {
      value = source.valueAt(i);
      this.#fetched.set(i, value);
    }
    return value;
  }

  override has(key: K): boolean {
    const source = this.#source;
    if (source === undefined || super.has(key)) return super.has(key);
    return this.#indexOf(source, key) >= 0;
  }

  override set(key: K, value: V): this {
    const source = this.#source;
    if (source !== undefined) {
      const i = this.#indexOf(source, key);
      if (i >= 0) this.#shadowed.add(i);
    }
    return super.set(key, value);
  }

  override delete(key: K): boolean {
    const source = this.#source;
    let had = super.delete(key);
    if (source !== undefined) {
      const i = this.#indexOf(source, key);
      if (i >= 0) {
        this.#shadowed.add(i);
        had = true;
      }
    }
    return had;
  }

  override clear(): void {
    this.#source = undefined;
    this.#fetched.clear();
    this.#shadowed.clear();
    super.clear();
  }

  override forEach(fn: (value: V, key: K, map: Map<K, V>) => void, thisArg?: unknown): void {
    this.materialize();
    super.forEach(fn, thisArg);
  }

  override entries(): MapIterator<[K, V]> {
    this.materialize();
    return super.entries();
  }

  override keys(): MapIterator<K> {
    this.materialize();
    return super.keys();
  }

  override values(): MapIterator<V> {
    this.materialize();
    return super.values();
  }

  override [Symbol.iterator](): MapIterator<[K, V]> {
    return this.entries();
  }
}
