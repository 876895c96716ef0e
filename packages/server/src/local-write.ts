import type { AnyCrdtState } from '@helios/core';
import type { RelayDocument } from './documents.js';

/** A client delta, validated and joined by `MergeCore.mergeLocal`, to commit. */
export interface LocalWrite {
  readonly doc: RelayDocument;
  /** The delta as the client encoded it: what is stored and sent on. */
  readonly bytes: Uint8Array;
  readonly delta: AnyCrdtState;
}

/** What a document's writes in one commit unit store: one change per part. */
export interface DocumentWrites {
  /** Each change's encoded delta and the delta itself, in write order. */
  readonly parts: { readonly bytes: Uint8Array; readonly delta: AnyCrdtState }[];
  /** The client deltas the parts hold. */
  readonly count: number;
}

/**
 * `writes` by document, in the order each document first appears. With `oneWriter`, a
 * document's several deltas are joined into one part, encoded once (a lone delta keeps its
 * client's bytes): the writes are one replica's, so the join is exactly one of its operations,
 * as a peer's causal delivery of the feed expects an entry to be (`one-writer` readiness), and a
 * store row, a feed entry and a fan-out part carry a whole push's writes of a document instead
 * of one each. Otherwise every delta is a part of its own.
 */
export function writesByDocument(
  writes: readonly LocalWrite[],
  oneWriter: boolean,
): Map<RelayDocument, DocumentWrites> {
  const grouped = new Map<RelayDocument, LocalWrite[]>();
  for (const write of writes) {
    const group = grouped.get(write.doc);
    if (group === undefined) grouped.set(write.doc, [write]);
    else group.push(write);
  }
  const out = new Map<RelayDocument, DocumentWrites>();
  for (const [doc, group] of grouped) {
    out.set(doc, {
      parts: oneWriter && group.length > 1 ? [joined(doc, group)] : group,
      count: group.length,
    });
  }
  return out;
}

/** One document's deltas joined into one, encoded once. */
function joined(doc: RelayDocument, group: readonly LocalWrite[]): DocumentWrites['parts'][number] {
  // A clone: the deltas' parts may now be shared with the document they were merged into.
  const delta = doc.type.clone(group[0]!.delta);
  for (let i = 1; i < group.length; i++) doc.type.merge(delta, group[i]!.delta);
  return { bytes: doc.type.encode(delta), delta };
}
