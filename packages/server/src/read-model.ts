import { type DecodeLimits, type DocumentId, decodeState } from '@helios/core';
import type { ValuesOf } from './commit-queue.js';
import type { DocumentCache, RelayDocument } from './documents.js';
import type { DocumentValue } from './store/relay-store.js';

/**
 * The values a batch carries to a store that keeps a read model: each changed document's state
 * as JSON, taken from memory as the batch is written. Every delta of the batch was merged into
 * its document before it was queued, so the value holds all of them (and whatever else was
 * merged since, queued for the next commit).
 *
 * A document evicted while its commit waited is loaded again (what the store holds) and gets
 * the batch's deltas merged back, so the value and the cached document both hold them.
 *
 * `shared`: several nodes share the store, so this node may lack another node's change. A value
 * then names its basis (the document's `lastSeq`); a store that finds a later change hands it
 * over within the commit, and it is merged here before the value is computed again.
 */
export function documentValues(
  cache: DocumentCache,
  limits: DecodeLimits,
  shared: boolean,
): ValuesOf {
  return async (changes) => {
    const deltas = new Map<DocumentId, Uint8Array[]>();
    for (const change of changes) {
      const list = deltas.get(change.doc);
      if (list === undefined) deltas.set(change.doc, [change.delta]);
      else list.push(change.delta);
    }
    const values: DocumentValue[] = [];
    for (const [id, bytes] of deltas) {
      const doc = cache.peek(id) ?? (await reload(cache, id, bytes, limits));
      const json = JSON.stringify(doc.type.toJson(doc.state));
      values.push({
        doc: id,
        type: doc.type.name,
        json,
        ...(shared ? { basis: doc.lastSeq, catchUp: catchUp(doc, limits) } : {}),
      });
    }
    return values;
  };
}

/**
 * Merges what the store holds of `doc` past the value's basis (another node's changes): the
 * document then holds every stored change, and its value is computed again.
 */
function catchUp(doc: RelayDocument, limits: DecodeLimits): NonNullable<DocumentValue['catchUp']> {
  return (missed) => {
    for (const bytes of [missed.snapshot, ...missed.changes.map((c) => c.delta)]) {
      if (bytes === null) continue;
      const { type, state } = decodeState(bytes, limits);
      if (type === doc.type) doc.type.merge(doc.state, state);
    }
    return JSON.stringify(doc.type.toJson(doc.state));
  };
}

/** Loads a document evicted while its commit waited, and merges that commit's deltas back. */
async function reload(
  cache: DocumentCache,
  id: DocumentId,
  bytes: readonly Uint8Array[],
  limits: DecodeLimits,
): Promise<RelayDocument> {
  const doc = await cache.getOrCreate(id, decodeState(bytes[0]!, limits).type);
  for (const delta of bytes) {
    const { type, state } = decodeState(delta, limits);
    if (type === doc.type) doc.type.merge(doc.state, state);
  }
  return doc;
}
