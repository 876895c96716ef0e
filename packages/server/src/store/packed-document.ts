import type { DocumentId } from '@helios/core';
import type { StoredChange, StoredDocument } from './relay-store.js';

/**
 * A stored document as the SQLite worker sends it to the relay's thread: the changes' columns in
 * a few arrays instead of one object per change. A document holds up to a few hundred changes
 * since its snapshot, and after a restart every subscribed document is loaded at once: copying
 * one object and one buffer per change between the threads cost more than reading them.
 */
export interface PackedDocument {
  readonly snapshot: Uint8Array | null;
  readonly snapshotSeq: number;
  readonly seqs: Float64Array;
  readonly origins: readonly string[];
  /** Where each change's delta ends in `deltas` (the first starts at 0). */
  readonly ends: Uint32Array;
  /** Every change's delta, one after the other. */
  readonly deltas: Uint8Array;
}

/** A change row as read in raw mode: seq, origin, delta. */
export type RawChangeRow = readonly [number, string, Uint8Array];

export function packDocument(
  snapshot: Uint8Array | null,
  snapshotSeq: number,
  rows: readonly RawChangeRow[],
): PackedDocument {
  const seqs = new Float64Array(rows.length);
  const ends = new Uint32Array(rows.length);
  const origins: string[] = [];
  let size = 0;
  for (const [, , delta] of rows) size += delta.length;
  const deltas = new Uint8Array(size);
  let at = 0;
  rows.forEach(([seq, origin, delta], i) => {
    seqs[i] = seq;
    origins.push(origin);
    deltas.set(delta, at);
    at += delta.length;
    ends[i] = at;
  });
  return { snapshot, snapshotSeq, seqs, origins, ends, deltas };
}

/** The document again, each change's delta a view of `deltas` (no copy). */
export function unpackDocument(doc: DocumentId, packed: PackedDocument): StoredDocument {
  const changes: StoredChange[] = [];
  let start = 0;
  for (let i = 0; i < packed.seqs.length; i++) {
    const end = packed.ends[i]!;
    changes.push({
      seq: packed.seqs[i]!,
      doc,
      origin: packed.origins[i]!,
      delta: packed.deltas.subarray(start, end),
    });
    start = end;
  }
  return { snapshot: packed.snapshot, snapshotSeq: packed.snapshotSeq, changes };
}
