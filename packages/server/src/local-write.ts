import type { AnyCrdtState } from '@helios/core';
import type { RelayDocument } from './documents.js';
import type { NewChange, StoredChange } from './store/relay-store.js';

/** A client delta, validated and joined by `MergeCore.mergeLocal`, to commit. */
export interface LocalWrite {
  readonly doc: RelayDocument;
  /** The delta as the client encoded it: what is stored and sent on. */
  readonly bytes: Uint8Array;
  readonly delta: AnyCrdtState;
  /** The client deltas it holds: more than one once {@link joinedPerDocument} joined them. */
  readonly count?: number;
}

/**
 * One write per document: the deltas `writes` hold for a document joined into one, encoded
 * once; a lone delta is kept as its client encoded it. Only for the writes of one writer (one
 * replica): the join is then exactly one of its operations, as a peer's causal delivery of the
 * feed expects an entry to be (`one-writer` readiness), and a store row, a feed entry and a
 * fan-out part carry a whole push's writes of a document instead of one each.
 */
export function joinedPerDocument(writes: readonly LocalWrite[]): LocalWrite[] {
  const groups = new Map<RelayDocument, LocalWrite[]>();
  for (const write of writes) {
    const group = groups.get(write.doc);
    if (group === undefined) groups.set(write.doc, [write]);
    else group.push(write);
  }
  const joined: LocalWrite[] = [];
  for (const [doc, group] of groups) {
    if (group.length === 1) {
      joined.push(group[0]!);
      continue;
    }
    // A clone: the deltas' parts may now be shared with the document they were merged into.
    const delta = doc.type.clone(group[0]!.delta);
    for (let i = 1; i < group.length; i++) doc.type.merge(delta, group[i]!.delta);
    joined.push({ doc, bytes: doc.type.encode(delta), delta, count: group.length });
  }
  return joined;
}

/** Client writes of one document once committed: their stored changes and deltas, in order. */
export interface CommittedWrites {
  readonly stored: StoredChange[];
  readonly deltas: AnyCrdtState[];
  /** The client deltas they hold. */
  count: number;
}

/** Committed client writes grouped by document, in order: their stored changes and deltas. */
export function byDocument(
  writes: readonly LocalWrite[],
  changes: readonly NewChange[],
  seqs: readonly number[],
): Map<RelayDocument, CommittedWrites> {
  const groups = new Map<RelayDocument, CommittedWrites>();
  writes.forEach(({ doc, delta, count }, i) => {
    let group = groups.get(doc);
    if (group === undefined) {
      group = { stored: [], deltas: [], count: 0 };
      groups.set(doc, group);
    }
    group.stored.push({ ...changes[i]!, seq: seqs[i]! });
    group.deltas.push(delta);
    group.count += count ?? 1;
  });
  return groups;
}
