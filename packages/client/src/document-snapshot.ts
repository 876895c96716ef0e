import { type ContextRanges, contextRanges } from '@helios/core';
import type { AnyDocument } from './document-registry.js';

/** A document as devtools show it (`client.inspect()`). */
export interface DocumentSnapshot {
  readonly id: string;
  /** The type's name, e.g. `or-map<quantity>`. */
  readonly type: string;
  /** The value in JSON form (`CrdtType.toJson`). */
  readonly value: unknown;
  /** The causal context: per replica, the ranges of sequence numbers seen. */
  readonly context: ContextRanges;
}

/** A snapshot of each open document (one still loading shows what it holds so far). */
export function snapshotsOf(documents: readonly AnyDocument[]): DocumentSnapshot[] {
  return documents.map((doc) => ({
    id: doc.id,
    type: doc.type.name,
    value: doc.type.toJson(doc.state),
    context: contextRanges(doc.state.context),
  }));
}
