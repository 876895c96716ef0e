import type { CommitBatch, NewChange } from './relay-store.js';

/**
 * A {@link CommitBatch} as the SQLite store hands it to its worker thread: the deltas copied
 * into one buffer (transferred, not cloned), the documents and origins as tables of distinct
 * names. Posting the batch as it is would make the structured clone copy every change object
 * and every delta's whole backing buffer one by one: a relay under load commits thousands of
 * changes a second, and that clone was one of its larger costs on the event loop.
 */
export interface PackedBatch extends Omit<CommitBatch, 'changes'> {
  /** Distinct document ids of the changes. */
  readonly docs: readonly string[];
  /** Distinct origins of the changes. */
  readonly origins: readonly string[];
  /** Per change, three numbers: its index in `docs`, its index in `origins`, its delta's length. */
  readonly index: Uint32Array;
  /** The deltas, one after the other. */
  readonly deltas: Uint8Array;
}

/** Packs `batch`; its buffers are the transfer list to post it with. */
export function packBatch(batch: CommitBatch): {
  packed: PackedBatch;
  transfer: ArrayBuffer[];
} {
  const { changes, ...rest } = batch;
  const docs = new Names();
  const origins = new Names();
  const index = new Uint32Array(changes.length * 3);
  let bytes = 0;
  for (const change of changes) bytes += change.delta.length;
  const deltas = new Uint8Array(bytes);
  let at = 0;
  changes.forEach((change, i) => {
    index[3 * i] = docs.indexOf(change.doc);
    index[3 * i + 1] = origins.indexOf(change.origin);
    index[3 * i + 2] = change.delta.length;
    deltas.set(change.delta, at);
    at += change.delta.length;
  });
  const packed = { ...rest, docs: docs.list, origins: origins.list, index, deltas };
  return { packed, transfer: [index.buffer as ArrayBuffer, deltas.buffer as ArrayBuffer] };
}

/** The batch `packed` holds; its deltas are views of the packed buffer. */
export function unpackBatch(packed: PackedBatch): CommitBatch {
  const { docs, origins, index, deltas, ...rest } = packed;
  const changes: NewChange[] = new Array(index.length / 3);
  let at = 0;
  for (let i = 0; i < changes.length; i++) {
    const length = index[3 * i + 2]!;
    changes[i] = {
      doc: docs[index[3 * i]!]!,
      origin: origins[index[3 * i + 1]!]!,
      delta: deltas.subarray(at, at + length),
    };
    at += length;
  }
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
