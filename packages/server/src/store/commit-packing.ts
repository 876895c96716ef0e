import { columnBuffers, type DeltaColumn, packDeltas, unpackDeltas } from './delta-column.js';
import type { CommitBatch, NewChange } from './relay-store.js';

/**
 * A {@link CommitBatch} as the SQLite store hands it to its worker thread: the deltas in one
 * column (transferred, not cloned), the documents and origins as tables of distinct names.
 * Posting the batch as it is would make the structured clone copy every change object and
 * every delta's whole backing buffer one by one: a relay under load commits thousands of
 * changes a second, and that clone was one of its larger costs on the event loop.
 */
export interface PackedBatch extends Omit<CommitBatch, 'changes'> {
  /** Distinct document ids of the changes. */
  readonly docs: readonly string[];
  /** Distinct origins of the changes. */
  readonly origins: readonly string[];
  /** Per change, its index in `docs` and its index in `origins`. */
  readonly names: Uint32Array;
  readonly deltas: DeltaColumn;
}

/** Packs `batch`; its buffers are the transfer list to post it with. */
export function packBatch(batch: CommitBatch): {
  packed: PackedBatch;
  transfer: ArrayBuffer[];
} {
  const { changes, ...rest } = batch;
  const docs = new Names();
  const origins = new Names();
  const names = new Uint32Array(changes.length * 2);
  changes.forEach((change, i) => {
    names[2 * i] = docs.indexOf(change.doc);
    names[2 * i + 1] = origins.indexOf(change.origin);
  });
  const deltas = packDeltas(changes.length, (i) => changes[i]!.delta);
  const packed = { ...rest, docs: docs.list, origins: origins.list, names, deltas };
  return { packed, transfer: [names.buffer as ArrayBuffer, ...columnBuffers(deltas)] };
}

/** The batch `packed` holds; its deltas are views of the packed buffer. */
export function unpackBatch(packed: PackedBatch): CommitBatch {
  const { docs, origins, names, deltas, ...rest } = packed;
  const changes: NewChange[] = unpackDeltas(deltas).map((delta, i) => ({
    doc: docs[names[2 * i]!]!,
    origin: origins[names[2 * i + 1]!]!,
    delta,
  }));
  return { ...rest, changes };
}

/** A table of distinct names, in the order first seen. */
class Names {
  readonly list: string[] = [];
  readonly #at = new Map<string, number>();

  indexOf(name: string): number {
    let i = this.#at.get(name);
    if (i === undefined) {
      i = this.list.length;
      this.list.push(name);
      this.#at.set(name, i);
    }
    return i;
  }
}
