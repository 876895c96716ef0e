import { type AnyCrdtState, type AnyCrdtType, type DecodeLimits, decodeState } from '@helios/core';
import type { StoredDocument } from './relay-store.js';

/** A stored document folded into one state. */
export interface FoldedDocument {
  readonly type: AnyCrdtType;
  readonly state: AnyCrdtState;
  /** The seq of the last change folded in (the snapshot's when there is none after it). */
  readonly lastSeq: number;
}

/**
 * Decodes a stored document's snapshot and merges the changes after it: its state as the store
 * holds it, or undefined if it holds nothing. A change of another type than the document's
 * (refused at push time) is never merged.
 */
export function foldStored(
  stored: StoredDocument,
  limits?: DecodeLimits,
): FoldedDocument | undefined {
  let type: AnyCrdtType | undefined;
  let state: AnyCrdtState | undefined;
  if (stored.snapshot !== null) ({ type, state } = decodeState(stored.snapshot, limits));
  let lastSeq = stored.snapshotSeq;
  for (const change of stored.changes) {
    const decoded = decodeState(change.delta, limits);
    if (type === undefined || state === undefined) {
      type = decoded.type;
      state = type.empty();
    }
    if (decoded.type !== type) continue;
    type.merge(state, decoded.state);
    lastSeq = change.seq;
  }
  return type === undefined || state === undefined ? undefined : { type, state, lastSeq };
}
