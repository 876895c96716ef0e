import type { DocumentId } from '@helios/core';
import { type DeltaColumn, packDeltas, unpackDeltas } from './delta-column.js';
import type { StoredDocument } from './relay-store.js';

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
  readonly deltas: DeltaColumn;
}

/** A change row as read in raw mode: seq, origin, delta. */
export type RawChangeRow = readonly [number, string, Uint8Array];

export function packDocument(
  snapshot: Uint8Array | null,
  snapshotSeq: number,
  rows: readonly RawChangeRow[],
): PackedDocument {
  const seqs = Float64Array.from(rows, ([seq]) => seq);
  const origins = rows.map(([, origin]) => origin);
  const deltas = packDeltas(rows.length, (i) => rows[i]![2]);
  return { snapshot, snapshotSeq, seqs, origins, deltas };
}

/** The document again, each change's delta a view of `deltas` (no copy). */
export function unpackDocument(doc: DocumentId, packed: PackedDocument): StoredDocument {
  const changes = unpackDeltas(packed.deltas).map((delta, i) => ({
    seq: packed.seqs[i]!,
    doc,
    origin: packed.origins[i]!,
    delta,
  }));
  return { snapshot: packed.snapshot, snapshotSeq: packed.snapshotSeq, changes };
}
