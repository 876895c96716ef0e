import type { CrdtState, CrdtType } from '@helios/core';

/**
 * A document open in this client: its replica state, loaded from local storage, and the
 * listeners of its value. The value is computed once per change and kept, so readers that
 * compare snapshots by identity (React's useSyncExternalStore) see a new value only when the
 * state really changed.
 */
export class ClientDocument<S, V> {
  readonly id: string;
  readonly type: CrdtType<S, V>;
  #state: CrdtState<S>;
  /** Resolves when the document has been read from local storage. */
  readonly loaded: Promise<void>;
  isLoaded = false;
  /** Deltas stored since the last snapshot, their encoded bytes, and the snapshot's: drive compaction. */
  storedSinceSnapshot = 0;
  storedBytesSinceSnapshot = 0;
  snapshotBytes = 0;
  #markLoaded!: () => void;
  #value: { v: V } | undefined;
  readonly #listeners = new Set<() => void>();

  constructor(id: string, type: CrdtType<S, V>) {
    this.id = id;
    this.type = type;
    this.#state = type.empty();
    this.loaded = new Promise((resolve) => {
      this.#markLoaded = resolve;
    });
  }

  /** The replica state. Mutated only through {@link apply} (and {@link adopt} while loading). */
  get state(): CrdtState<S> {
    return this.#state;
  }

  /**
   * Takes `state` as the document's state while loading, when nothing has been merged yet:
   * decoding a large snapshot is enough, merging it into an empty state would do the work twice.
   */
  adopt(state: CrdtState<S>): void {
    if (this.isLoaded || !this.#state.context.isEmpty) {
      this.apply(state);
      return;
    }
    this.#state = state;
    this.#value = undefined;
  }

  value(): V {
    this.#value ??= { v: this.type.value(this.#state) };
    return this.#value.v;
  }

  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Merges a delta and, if it changed the value, tells the listeners. A relay's duplicate, the
   * echo of our own write and another tab's copy of a delta we already have change nothing: the
   * value stays the same object, and identity-comparing readers do not re-render. The merge
   * itself says so (see `CrdtType.merge`), so no values are compared. Returns whether it did.
   */
  apply(delta: CrdtState<S>): boolean {
    if (!this.type.merge(this.#state, delta)) return false;
    this.#value = undefined;
    for (const listener of [...this.#listeners]) listener();
    return true;
  }

  finishLoading(): void {
    this.isLoaded = true;
    this.#value = undefined;
    this.#markLoaded();
    for (const listener of [...this.#listeners]) listener();
  }
}
