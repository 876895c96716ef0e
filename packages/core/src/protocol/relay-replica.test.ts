import { describe, expect, it } from 'vitest';
import { isRelayReplica, relayReplicaId, relayReplicaRegion } from './relay-replica.js';

describe('relay replica ids', () => {
  it('name the region and the store, and tell relays from clients', () => {
    const id = relayReplicaId('us-east-1', '9f86d081884c7d65');
    expect(id).toBe('relay:us-east-1:9f86d081');
    expect(isRelayReplica(id)).toBe(true);
    expect(relayReplicaRegion(id)).toBe('us-east-1');
    expect(isRelayReplica('a1b2c3d4e5f6a7')).toBe(false);
    expect(relayReplicaRegion('a1b2c3d4e5f6a7')).toBeUndefined();
    expect(relayReplicaId('eu', 'aaaaaaaaaaaa')).not.toBe(relayReplicaId('eu', 'bbbbbbbbbbbb'));
  });

  it('give each node slot of a shared store its own id, slot 0 the single node’s', () => {
    expect(relayReplicaId('us-east-1', '9f86d081884c7d65', 0)).toBe('relay:us-east-1:9f86d081');
    const third = relayReplicaId('us-east-1', '9f86d081884c7d65', 2);
    expect(third).toBe('relay:us-east-1:9f86d081.2');
    expect(isRelayReplica(third)).toBe(true);
    expect(relayReplicaRegion(third)).toBe('us-east-1');
  });
});
