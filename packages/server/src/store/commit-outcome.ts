import type { DocumentId } from '@helios/core';
import type { CommitOutcome, NewChange } from './relay-store.js';

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
