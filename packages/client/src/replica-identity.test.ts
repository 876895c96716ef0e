import { epochOf, newEpochReplicaId, newReplicaId } from '@helios/core';
import { describe, expect, it } from 'vitest';
import { systemClock } from './clock.js';
import { MemoryPersistence } from './persistence/memory-persistence.js';
import { ReplicaIdentity } from './replica-identity.js';

let dbs = 0;

/** An identity whose slot 0 holds `own`, after `former` ids the slots held before (newest first). */
async function identityOf(own: string, former: string[]) {
  const name = `identity-${dbs++}`;
  const persistence = new MemoryPersistence(name);
  await persistence.slot(0, () => former.at(-1) ?? own);
  for (const id of [...former.slice(0, -1).reverse(), own]) await persistence.renewSlot(0, id);
  const identity = await ReplicaIdentity.acquire(name, persistence, 1, systemClock);
  return { identity, persistence };
}

describe('ReplicaIdentity after a replica-retired handshake refusal', () => {
  it('drops exactly the ids the relay’s retiredBelow retires, keeping writers of live epochs', async () => {
    const [e5, e4, e3] = [newEpochReplicaId(5), newEpochReplicaId(4), newEpochReplicaId(3)];
    const compact = newReplicaId();
    const { identity, persistence } = await identityOf(e5, [e4, e3, compact]);
    expect(identity.replicas).toEqual([e5, e4, e3, compact]);
    await identity.retired(4);
    // e4 may still have writes in the outbox to push: it stays; compact ids never retire.
    expect(identity.replicas).toEqual([e5, e4, compact]);
    expect(identity.replica).toBe(e5);
    expect(await persistence.getMeta('retiredEpochsBelow')).toBe(4);
  });

  it('moves its own retired id to the first live epoch, persisted, and keeps live former ids', async () => {
    const [e2, e1] = [newEpochReplicaId(2), newEpochReplicaId(1)];
    const { identity, persistence } = await identityOf(e1, [e2]);
    await identity.retired(2);
    const renewed = identity.replica;
    expect(epochOf(renewed)).toBe(2);
    expect(identity.replicas).toEqual([renewed, e2]);
    expect((await persistence.slotIds())[0]).toBe(renewed);
  });

  it('without retiredBelow (an older relay), drops the former ids first, then moves its own', async () => {
    const [e4, e3] = [newEpochReplicaId(4), newEpochReplicaId(3)];
    const { identity } = await identityOf(e4, [e3]);
    await identity.retired();
    expect(identity.replicas).toEqual([e4]);
    await identity.retired();
    expect(epochOf(identity.replica)).toBe(5);
    expect(identity.replicas).toEqual([identity.replica]);
  });
});
