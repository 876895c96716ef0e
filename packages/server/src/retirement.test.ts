import { CausalContext, FOLD_REPLICA, newEpochReplicaId, PNCounter } from '@helios/core';
import { afterEach, describe, expect, it } from 'vitest';
import { foldOwner } from './retirement.js';
import { startMemoryMesh } from './test-support/memory-mesh.js';
import { eventually, ProtocolClient } from './test-support/protocol-client.js';

const open: { close(): unknown }[] = [];
afterEach(async () => {
  for (const c of open.splice(0).reverse()) await c.close();
});

const REGIONS = ['us-east-1', 'eu-west-1', 'sa-east-1'] as const;
type Region = (typeof REGIONS)[number];

/** Three relays in a full mesh, all reading the deployment's retired epochs from `retired`. */
async function startMesh(retired: { below: number }) {
  const options = { retiredEpochsBelow: () => retired.below };
  return (await startMemoryMesh(REGIONS, (c) => open.push(c), options)).relays;
}

async function clientOf(url: string, replica: string): Promise<ProtocolClient> {
  const c = new ProtocolClient(url, { replica });
  open.push(c);
  await c.ready();
  return c;
}

function stateOf(c: ProtocolClient) {
  return c.docs.get('likes')!.state as ReturnType<typeof PNCounter.empty>;
}

describe('retired replicas across regions', () => {
  it('a counter liked once by many retired writers folds in every region, its value unchanged', async () => {
    const retired = { below: 0 };
    const relays = await startMesh(retired);
    const url = (r: Region) => relays.get(r)!.url;
    // 20 writers of epoch 0 in each region like once; one writer of epoch 1 adds 5.
    const writers: ProtocolClient[] = [];
    for (const region of REGIONS) {
      for (let i = 0; i < 20; i++) {
        const w = await clientOf(url(region), newEpochReplicaId(0));
        await w.subscribe('likes', PNCounter);
        await w.write('likes', (s, me) => PNCounter.increment(s, me));
        writers.push(w);
      }
    }
    const live = await clientOf(url('sa-east-1'), newEpochReplicaId(1));
    await live.subscribe('likes', PNCounter);
    await live.write('likes', (s, me) => PNCounter.increment(s, me, 5));
    const readers = new Map<Region, ProtocolClient>();
    for (const region of REGIONS) {
      const r = await clientOf(url(region), newEpochReplicaId(1));
      await r.subscribe('likes', PNCounter);
      readers.set(region, r);
    }
    const all = () => [...readers.values()];
    await eventually(() => all().every((r) => r.value('likes') === 65), 'every region has 65');
    expect(stateOf(readers.get('us-east-1')!).store.length).toBe(61);

    // Epoch 0 retires in the deployment: its ids may no longer connect.
    retired.below = 1;
    const late = new ProtocolClient(url('eu-west-1'), { replica: newEpochReplicaId(0) });
    open.push(late);
    // The refusal names the bound, so a client drops exactly the ids it retires.
    await expect(late.ready()).rejects.toMatchObject({
      data: { code: 'replica-retired', retiredBelow: 1 },
    });
    // A writer of epoch 0 connected before: its writes are refused now, and change nothing.
    await expect(
      writers[1]!.write('likes', (s, me) => PNCounter.increment(s, me)),
    ).rejects.toMatchObject({ code: 'replica-retired' });
    // A fold of an epoch that is not retired is refused.
    await expect(relays.get('us-east-1')!.relay.foldRetired('likes', 2)).rejects.toThrow(
      /not all retired/,
    );

    // Two regions fold at once: the same event, counted once.
    const folded = await Promise.all([
      relays.get('us-east-1')!.relay.foldRetired('likes', 1),
      relays.get('eu-west-1')!.relay.foldRetired('likes', 1),
    ]);
    expect(folded).toEqual([true, true]);
    const compact = (c: ProtocolClient) => {
      const s = stateOf(c);
      return s.store.length === 2 && s.context.frontier === 1;
    };
    await eventually(() => all().every(compact), 'every region has the fold');
    for (const r of all()) {
      expect(r.value('likes')).toBe(65);
      expect(new Set(stateOf(r).context.replicas())).toEqual(new Set([FOLD_REPLICA, live.replica]));
    }
    // A client that subscribes now gets the compact state: a few dozen bytes.
    for (const region of REGIONS) {
      const fresh = await clientOf(url(region), newEpochReplicaId(1));
      await fresh.subscribe('likes', PNCounter);
      expect(fresh.value('likes')).toBe(65);
      expect(PNCounter.encode(stateOf(fresh)).length).toBeLessThan(48);
    }
    // The folding region again, or the third: nothing more to fold.
    expect(await relays.get('sa-east-1')!.relay.foldRetired('likes', 1)).toBe(false);

    // A retired writer still connected writes again: refused, nothing changes anywhere.
    const stale = writers[0]!;
    const again = PNCounter.increment(
      {
        context: new CausalContext().addRange(stale.replica, 1, 1),
        store: stateOf(stale).store.filter((e) => e.replica === stale.replica),
      },
      stale,
    );
    await expect(stale.pushBytes('likes', PNCounter.encode(again))).rejects.toMatchObject({
      code: 'replica-retired',
    });
    await live.write('likes', (s, me) => PNCounter.increment(s, me));
    await eventually(() => all().every((r) => r.value('likes') === 66), 'every region has 66');

    // Epoch 1 retires too; the third region folds it over the first fold.
    retired.below = 2;
    await eventually(() => all().every((r) => stateOf(r).store.length === 2), 'all have 66');
    expect(await relays.get('sa-east-1')!.relay.foldRetired('likes', 2)).toBe(true);
    await eventually(
      () => all().every((r) => stateOf(r).store.length === 1 && stateOf(r).context.frontier === 2),
      'every region has the second fold',
    );
    for (const r of all()) {
      expect(r.value('likes')).toBe(66);
      expect([...stateOf(r).context.replicas()]).toEqual([FOLD_REPLICA]);
    }
  }, 30_000);
});

describe('the region that folds a document', () => {
  it('is the same whatever order the regions are listed in, and spreads documents', () => {
    const owners = new Map<string, number>();
    for (let i = 0; i < 300; i++) {
      const doc = `likes:${i}`;
      const owner = foldOwner(doc, REGIONS);
      expect(foldOwner(doc, [...REGIONS].reverse())).toBe(owner);
      owners.set(owner, (owners.get(owner) ?? 0) + 1);
    }
    expect([...owners.keys()].sort()).toEqual([...REGIONS].sort());
    for (const n of owners.values()) expect(n).toBeGreaterThan(60);
  });
});
