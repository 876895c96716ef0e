import type { Message, ReplicaEpochs } from '@helios/core/protocol';
import type { Outbox } from './outbox.js';
import type { ClientPresence } from './presence.js';
import type { RightsRequests } from './rights-requests.js';
import type { ClientStatus } from './status.js';
import type { SyncSession } from './sync-session.js';

/** The parts a relay's messages go to. */
export interface RelayMessageTargets {
  readonly session: SyncSession;
  readonly outbox: Outbox;
  readonly rights: RightsRequests;
  readonly presence: ClientPresence;
  readonly setError: (lastError: NonNullable<ClientStatus['lastError']>) => void;
  /** The deployment's replica epochs, for the client's replica identity. */
  readonly epochs: (epochs: ReplicaEpochs) => void;
}

/**
 * Hands a relay's message (after the welcome) to the part it concerns: documents' state to the
 * sync session, acknowledgements, replication news and refusals of pushes to the outbox, rights to
 * the rights requests, others' presence to the client's presence. Kinds a client does not take are ignored.
 */
export function dispatchRelayMessage(message: Message, to: RelayMessageTargets): void {
  switch (message.kind) {
    case 'sync':
      to.session.received(message);
      to.presence.subscribed(message.doc); // the relay takes presence of subscribers
      return;
    case 'delta':
      to.session.received(message);
      return;
    case 'ack':
      to.outbox.acknowledged(message.ids);
      return;
    case 'replicated':
      to.outbox.replicated(message.doc, message.dots);
      return;
    case 'region-replicated':
      to.outbox.regionReplicated(message.doc, message.region, message.dots);
      return;
    case 'rights-grant':
      to.rights.granted(message);
      return;
    case 'presence':
      to.presence.received(message);
      return;
    case 'replica-epoch':
      to.epochs(message);
      return;
    case 'error':
      to.rights.refused(message);
      to.setError({
        code: message.code,
        message: message.message,
        ...(message.doc ? { doc: message.doc } : {}),
      });
      if (message.push !== undefined) {
        to.outbox.refused(message.push, message.code, message.message);
      }
      return;
    default:
      return;
  }
}
