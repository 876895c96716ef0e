import type { DocumentId } from '@helios/core';
import { commitOutcome } from './commit-outcome.js';
import { ownBytes } from './internal.js';
import type { CommitOutcome, NewChange, StoredChange, StoredDocument } from './relay-store.js';

/** A row of the feed: one change. */
export interface ChangeRow {
  seq: string;
  doc: string;
  origin: string;
  delta: Uint8Array;
}

/** A row of the load statement: the snapshot (`seq` null) or a change after it. */
export interface LoadRow {
  seq: string | null;
  bytes: Uint8Array;
  origin: string | null;
  snap_seq: string | null;
}

export function toChange(row: ChangeRow): StoredChange {
  return { seq: Number(row.seq), doc: row.doc, origin: row.origin, delta: ownBytes(row.delta) };
}

/** The load statement's rows as a stored document, or undefined if there are none. */
export function toStoredDocument(
  doc: DocumentId,
  rows: readonly LoadRow[],
): StoredDocument | undefined {
  if (rows.length === 0) return undefined;
  let snapshot: Uint8Array | null = null;
  let snapshotSeq = 0;
  const changes: StoredChange[] = [];
  for (const row of rows) {
    if (row.seq === null) {
      snapshot = ownBytes(row.bytes);
      snapshotSeq = Number(row.snap_seq);
    } else {
      changes.push({ seq: Number(row.seq), doc, origin: row.origin!, delta: ownBytes(row.bytes) });
    }
  }
  return { snapshot, snapshotSeq, changes };
}

/** A row of the `loadAfter` statement: a load row of one of several documents. */
export interface DocLoadRow extends LoadRow {
  doc: string;
}

/** The `loadAfter` statement's rows as stored documents, by id (none for a document without rows). */
export function toStoredDocuments(rows: readonly DocLoadRow[]): Map<DocumentId, StoredDocument> {
  const byDoc = new Map<DocumentId, DocLoadRow[]>();
  for (const row of rows) {
    const list = byDoc.get(row.doc);
    if (list === undefined) byDoc.set(row.doc, [row]);
    else list.push(row);
  }
  const out = new Map<DocumentId, StoredDocument>();
  for (const [doc, docRows] of byDoc) out.set(doc, toStoredDocument(doc, docRows)!);
  return out;
}

/** The commit statement's row: the new head, and each changed document's seq before it. */
export interface CommitRow {
  seq: string;
  head_docs: string[] | null;
  prior_seqs: string[] | null;
}

/** What the commit statement's row tells of the batch of `changes` it committed. */
export function outcomeOf(
  changes: readonly NewChange[],
  row: CommitRow,
  redone: boolean,
): CommitOutcome {
  const docs = row.head_docs ?? [];
  const priors = row.prior_seqs ?? [];
  const lastBefore = new Map(docs.map((doc, i) => [doc, Number(priors[i])]));
  return commitOutcome(changes, Number(row.seq), lastBefore, redone);
}
