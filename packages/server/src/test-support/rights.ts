import { BoundedCounter, type BoundedCounterState, type ReplicaId } from '@helios/core';
import type { ErrorEvent, Message, RightsGrant } from '@helios/core/protocol';
import type { ProtocolClient } from './protocol-client.js';

let nextId = 1;

/**
 * Asks the relay for `amount` rights of bounded counter `doc`, as a client's handle does, and
 * merges the transfer the grant carries; resolves with the grant, or the relay's refusal.
 */
export async function drawRights(
  c: ProtocolClient,
  doc: string,
  amount: number,
  to: ReplicaId = c.replica,
): Promise<RightsGrant | ErrorEvent> {
  const id = nextId++;
  const seenErrors = c.errors.length;
  c.send({ kind: 'rights-request', id, doc, to, amount });
  const answer = await c.waitFor(
    (m): m is RightsGrant | ErrorEvent =>
      (m.kind === 'rights-grant' && m.id === id) ||
      (m.kind === 'error' && m.doc === doc && c.errors.indexOf(m) >= seenErrors),
  );
  if (answer.kind === 'rights-grant' && answer.delta !== undefined) {
    const entry = c.docs.get(doc)!;
    entry.type.merge(entry.state, entry.type.decode(answer.delta));
  }
  return answer;
}

/** What `replica` may spend of `doc`, as the client's copy counts it. */
export function rightsAt(c: ProtocolClient, doc: string, replica: ReplicaId): number {
  return BoundedCounter.localRights(c.docs.get(doc)!.state as BoundedCounterState, replica);
}

/** Every replica a bounded counter's state names (writers and recipients of rights). */
export function replicasOf(state: BoundedCounterState): ReplicaId[] {
  return [...BoundedCounter.rightsByReplica(state).keys()];
}

export type { Message };
