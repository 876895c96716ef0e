import type { CrdtState, CrdtType } from '@helios/core';
import type { StoredDocument } from './persistence/persistence.js';

/**
 * A document's state as this profile stored it: its snapshot with every stored delta merged in.
 * Read through `decodeStored`: the bytes were checked when they were first stored.
 */
export function foldStored<S>(type: CrdtType<S, unknown>, stored: StoredDocument): CrdtState<S> {
  const state = stored.snapshot ? type.decodeStored(stored.snapshot) : type.empty();
  for (const delta of stored.deltas) type.merge(state, type.decodeStored(delta));
  return state;
}
