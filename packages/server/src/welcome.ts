import {
  type Message,
  PROTOCOL_VERSION,
  type RelayLimits,
  type ReplicaEpochs,
  type Welcome,
} from '@helios/core/protocol';
import type { RelayOptions } from './options.js';

/**
 * The `welcome` a relay answers an admitted handshake with: who it is, its clock, its limits,
 * and for a peer relay the epoch of its store (peers key their cursor into its feed by it;
 * clients have no use for it).
 */
export function welcomeMessage(
  relay: { readonly region: string; readonly relayId: string },
  limits: RelayLimits,
  time: number,
  epoch: string | undefined,
): Welcome {
  return {
    kind: 'welcome',
    protocol: PROTOCOL_VERSION,
    region: relay.region,
    relayId: relay.relayId,
    time,
    limits: {
      maxMessageBytes: limits.maxMessageBytes,
      maxDeltasPerSecond: limits.maxDeltasPerSecond,
      maxDriftMs: limits.maxDriftMs,
    },
    ...(epoch !== undefined ? { epoch } : {}),
  };
}

/**
 * What a client is greeted with: the `welcome`, then, when the deployment names a replica epoch
 * (`RelayOptions.replicaEpoch`), the epochs to mint ids of and the retired ones
 * (`replica-epoch`). The current epoch is never announced below the retired ones.
 */
export function clientGreeting(
  welcome: Welcome,
  options: Pick<RelayOptions, 'replicaEpoch' | 'retiredEpochsBelow'>,
): Message[] {
  const epochs = replicaEpochs(options);
  return epochs === undefined ? [welcome] : [welcome, epochs];
}

/**
 * The deployment's replica epochs as clients are told them (`replica-epoch`), read now; none
 * when the deployment names no epoch. The current epoch is never below the retired ones.
 */
export function replicaEpochs(
  options: Pick<RelayOptions, 'replicaEpoch' | 'retiredEpochsBelow'>,
): ReplicaEpochs | undefined {
  if (options.replicaEpoch === undefined) return undefined;
  const retiredBelow = options.retiredEpochsBelow?.() ?? 0;
  const epoch = Math.max(options.replicaEpoch(), retiredBelow);
  return { kind: 'replica-epoch', epoch, retiredBelow };
}
