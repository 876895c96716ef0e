import type { AnyCrdtState, DocumentId } from '@helios/core';
import type { RelayDocument } from './documents.js';
import { changeBytes } from './node-cluster.js';
import type { NodeChange } from './relay-socket.js';

/** What {@link mergeHeardChanges} needs of the node: its documents in memory, and merging. */
export interface HeardChangesTarget {
  readonly docs: { peek(id: DocumentId): RelayDocument | undefined };
  /** Merges an encoded change into `doc`; returns it decoded, or undefined if it was not. */
  mergeBytes(doc: RelayDocument, bytes: Uint8Array): AnyCrdtState | undefined;
}

/**
 * Merges changes another node of the region committed (its notice over Redis) into the
 * documents this node holds in memory, handing each one merged to `fanOut` for this node's
 * subscribers. Merging is idempotent, and notices of two nodes arrive in any order relative to
 * this node's own commits, so every change past a document's `lastSeq` is merged.
 *
 * `lastSeq` promises that the document holds every stored change up to it, and a commit's value
 * is checked against it (its basis): it moves only where a change's `prior` (its document's
 * change before it) is at or below it, for then no change lies between what the node held and
 * this one. Without that, every commit after another node's would be refused as stale and
 * redone under the region's lock. A change of an older node (no `prior`), or one heard before
 * its predecessor, is merged and fanned out, and `lastSeq` waits for a store read.
 */
export function mergeHeardChanges(
  node: HeardChangesTarget,
  changes: readonly NodeChange[],
  fanOut: (doc: RelayDocument, bytes: Uint8Array, delta: AnyCrdtState) => void,
): void {
  for (const change of changes) {
    const doc = node.docs.peek(change.doc);
    if (doc === undefined || change.seq <= doc.lastSeq) continue;
    const bytes = changeBytes(change);
    const delta = node.mergeBytes(doc, bytes);
    if (delta === undefined) continue;
    if (change.prior !== undefined && change.prior <= doc.lastSeq) doc.lastSeq = change.seq;
    fanOut(doc, bytes, delta);
  }
}
