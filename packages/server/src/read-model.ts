import { type AnyCrdtState, type DecodeLimits, type DocumentId, decodeState } from '@helios/core';
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
 * over within the commit, and it is merged here before the value is computed again. What that
 * merge adds goes to `caughtUp`, for the node's subscribers: once the commit lands, `lastSeq`
 * is past the change, and the change's own notice from its node is then ignored as known.
 */
export function documentValues(
  cache: DocumentCache,
  limits: DecodeLimits,
  shared: boolean,
  caughtUp: CaughtUp,
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
        ...(shared ? { basis: doc.lastSeq, catchUp: catchUp(doc, limits, caughtUp) } : {}),
      });
    }
    return values;
  };
}

/**
 * What a commit's catch-up merged into `doc` that it lacked (other nodes' changes whose notices
 * had not arrived yet): the node's subscribers must get it too.
 */
export type CaughtUp = (doc: RelayDocument, bytes: Uint8Array, delta: AnyCrdtState) => void;

/**
 * Merges what the store holds of `doc` past the value's basis (another node's changes): the
 * document then holds every stored change, and its value is computed again. The store read
 * them with the region's head locked, so the document now holds every change up to the last
 * one read: `lastSeq` moves there, and the notices of those changes, when they arrive, are
 * known. What the merge added is handed to `caughtUp` instead, as one delta, so a node's memory
 * and its subscribers still gain a change together.
 */
function catchUp(
  doc: RelayDocument,
  limits: DecodeLimits,
  caughtUp: CaughtUp,
): NonNullable<DocumentValue['catchUp']> {
  return (missed) => {
    const before = doc.type.digest(doc.state);
    let changed = false;
    for (const bytes of [missed.snapshot, ...missed.changes.map((c) => c.delta)]) {
      if (bytes === null) continue;
      const { type, state } = decodeState(bytes, limits);
      if (type === doc.type) changed = doc.type.merge(doc.state, state) || changed;
    }
    const last = missed.changes.at(-1)?.seq ?? missed.snapshotSeq;
    doc.lastSeq = Math.max(doc.lastSeq, last, missed.snapshotSeq);
    if (changed) {
      const added = doc.type.deltaSince(doc.state, before);
      caughtUp(doc, doc.type.encode(added), added);
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
