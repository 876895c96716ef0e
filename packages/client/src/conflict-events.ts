import type { CausalContext, CrdtState } from '@helios/core';
import type { ClientEventLog } from './client-events.js';
import type { Clock } from './clock.js';
import type { AnyDocument } from './document-registry.js';

/**
 * Reports the conflicts a merge into `doc` left as `conflict` events, described by the
 * document's type (`CrdtType.describeConflicts`, pure): `fresh` are the dots the merge brought,
 * `unseen` this client's own writes to it that no relay acknowledged yet (a counter change of
 * another replica beside one of those raced it).
 */
export function reportConflicts(
  log: ClientEventLog,
  clock: Clock,
  doc: AnyDocument,
  delta: CrdtState<unknown>,
  fresh: CausalContext,
  unseen: CausalContext | undefined,
): void {
  const found = doc.type.describeConflicts(doc.state.store, delta.store, {
    fresh,
    ...(unseen ? { unseen } : {}),
  });
  if (found.length === 0) return;
  const at = clock.now();
  for (const conflict of found) log.emit({ type: 'conflict', doc: doc.id, ...conflict, at });
}
