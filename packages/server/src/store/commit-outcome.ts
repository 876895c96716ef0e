import type { DocumentId } from '@helios/core';
import type { NewChange } from './relay-store.js';

/**
 * What a commit to a store several relay nodes share tells besides the seqs: where each change
 * sits among its document's changes, so that the other nodes, hearing of it, can tell whether
 * they now hold every change of the document up to it (see `RelayNode`'s notices).
 */
export interface CommitOutcome {
  /** The seqs assigned, in the batch's order (what `RelayStore.commit` returns). */
  readonly seqs: number[];
  /**
   * Per change, the seq of its document's change before it in the store (0 for none): no
   * change of the document lies between the two. A node holding every change of the document
   * up to that one holds every change up to this one once it has merged it.
   */
  readonly priors: number[];
  /**
   * The commit was first refused because a value lacked another node's change, and was redone
   * in a transaction holding the region's head row (`PostgresStore`).
   */
  readonly redone: boolean;
}

/**
 * The outcome of a batch of `changes` committed as one statement whose seqs end at `head`
 * (they are consecutive: the statement holds the region's head row), given each changed
 * document's last seq before the statement: a document's first change follows that one, each
 * later change of it the one before in the batch.
 */
export function commitOutcome(
  changes: readonly NewChange[],
  head: number,
  lastBefore: ReadonlyMap<DocumentId, number>,
  redone: boolean,
): CommitOutcome {
  const seqs: number[] = [];
  const priors: number[] = [];
  const last = new Map(lastBefore);
  changes.forEach((change, i) => {
    const seq = head - changes.length + 1 + i;
    seqs.push(seq);
    const prior = last.get(change.doc);
    if (prior === undefined) throw new Error(`the commit did not report document ${change.doc}`);
    priors.push(prior);
    last.set(change.doc, seq);
  });
  return { seqs, priors, redone };
}
