import type { ReplicaId } from '../causal/replica-id.js';

/**
 * A relay's own replica: the writer of what the relay itself writes (today, the bounded-counter
 * rights it holds for its region and moves to clients and peer regions). Its id names the region
 * and the relay's store, `relay:<region>:<first 8 characters of the store's epoch>`: it survives
 * restarts with the store, a store recreated empty (whose dots start again at 1) gets another
 * one, and anyone reading a delta can tell which region's relay wrote it. A region of several
 * nodes sharing one store gives each node a slot of the store, and slot `n` > 0 its own id,
 * `relay:<region>:<epoch8>.<n>` (slot 0 keeps the single node's id). Clients may not claim ids
 * of this form (the relay refuses such a handshake with `bad-hello`).
 */
export const RELAY_REPLICA_PREFIX = 'relay:';

/**
 * The replica id of the relay node of `region` whose store has `epoch` and that holds the
 * store's node slot `slot` (0, the only one of a single-node region, by default). The slot
 * suffix has no `:`, so {@link relayReplicaRegion} still reads the region.
 */
export function relayReplicaId(region: string, epoch: string, slot = 0): ReplicaId {
  const id = `${RELAY_REPLICA_PREFIX}${region}:${epoch.slice(0, 8)}`;
  return slot === 0 ? id : `${id}.${slot}`;
}

/** Whether `replica` is a relay's own (see {@link relayReplicaId}). */
export function isRelayReplica(replica: ReplicaId): boolean {
  return replica.startsWith(RELAY_REPLICA_PREFIX);
}

/** The region of a relay's replica id, or undefined for any other replica. */
export function relayReplicaRegion(replica: ReplicaId): string | undefined {
  if (!isRelayReplica(replica)) return undefined;
  const rest = replica.slice(RELAY_REPLICA_PREFIX.length);
  const end = rest.lastIndexOf(':');
  return end > 0 ? rest.slice(0, end) : undefined;
}
