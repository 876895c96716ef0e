import type { AnyCrdtState } from '@helios/core';
import type { RelayDocument } from './documents.js';
import type { NewChange, StoredChange } from './store/relay-store.js';

/** A client delta, validated and joined by `MergeCore.mergeLocal`, to commit. */
export interface LocalWrite {
  readonly doc: RelayDocument;
  /** The delta as the client encoded it: what is stored and sent on. */
  readonly bytes: Uint8Array;
  readonly delta: AnyCrdtState;
}

/** Client writes of one document once committed: their stored changes and deltas, in order. */
export interface CommittedWrites {
  readonly stored: StoredChange[];
  readonly deltas: AnyCrdtState[];
}

/** Committed client writes grouped by document, in order: their stored changes and deltas. */
export function byDocument(
  writes: readonly LocalWrite[],
  changes: readonly NewChange[],
  seqs: readonly number[],
): Map<RelayDocument, CommittedWrites> {
  const groups = new Map<RelayDocument, CommittedWrites>();
  writes.forEach(({ doc, delta }, i) => {
    let group = groups.get(doc);
    if (group === undefined) {
      group = { stored: [], deltas: [] };
      groups.set(doc, group);
    }
    group.stored.push({ ...changes[i]!, seq: seqs[i]! });
    group.deltas.push(delta);
  });
  return groups;
}
