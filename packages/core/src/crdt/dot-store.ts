import type { CausalContext } from '../causal/causal-context.js';
import type { Dot } from '../causal/dot.js';
import type { ReplicaId } from '../causal/replica-id.js';
import type { ByteReader } from '../codec/byte-reader.js';
import type { ByteWriter } from '../codec/byte-writer.js';
import type { EncodingTable, ReplicaTable } from '../codec/replica-table.js';

/**
 * A dot store is the payload of a causal CRDT (Almeida, Shoker, Baquero 2018, §6): a structure
 * whose every entry is tagged with dots, paired with a causal context. The join of two
 * (store, context) pairs keeps an entry when both stores hold it, or when one holds it and the
 * other's context has not seen it. An entry whose dot is in the other's context but not in its
 * store was removed there. That is how removals travel without tombstones.
 *
 * A kind implements this for one store shape. Kinds compose: a map of dot stores is a dot store.
 */
export interface DotStoreKind<S> {
  empty(): S;
  isEmpty(store: S): boolean;
  /** A deep copy whose containers can be mutated independently. Entries are immutable. */
  clone(store: S): S;
  /**
   * Joins `delta` into `target` in place. The contexts are read, not changed: the caller joins
   * them afterwards. Returns whether `target` gained or lost an entry: replicas tell readers of
   * the value about a change only then, without comparing values.
   */
  merge(target: S, targetContext: CausalContext, delta: S, deltaContext: CausalContext): boolean;
  /** Calls `fn` for every dot in the store. */
  forEachDot(store: S, fn: (replica: ReplicaId, seq: number) => void): void;
  /** The entries whose dots `context` has not seen, as a new store. */
  unseen(store: S, context: CausalContext): S;
  /**
   * Calls `fn` for every entry of `target` that joining `(delta, deltaContext)` would remove: its
   * dot is in `deltaContext` and not in `delta`. Stops early when `fn` returns true (found), and
   * returns whether it did. Costs what the delta covers, not what the target holds.
   */
  someRemoved(
    target: S,
    delta: S,
    deltaContext: CausalContext,
    fn: (replica: ReplicaId, seq: number) => boolean,
  ): boolean;
  /**
   * A dot that both stores hold with different content (a different value, or under another
   * key), or `undefined`. Dots are unique: the same dot must always carry the same content.
   */
  findConflict(target: S, delta: S): Dot | undefined;
  equals(a: S, b: S): boolean;
  write(w: ByteWriter, store: S, table: EncodingTable): void;
  /** Reads a store, refusing dots outside the table's context and duplicate dots. */
  read(r: ByteReader, table: ReplicaTable): S;
}

/** How the values of a {@link DotFun} are compared and encoded. Values are immutable. */
export interface EntryValueKind<V> {
  equals(a: V, b: V): boolean;
  write(w: ByteWriter, value: V): void;
  read(r: ByteReader): V;
}
