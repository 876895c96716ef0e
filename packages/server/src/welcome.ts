import { PROTOCOL_VERSION, type RelayLimits, type Welcome } from '@helios/core/protocol';

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
