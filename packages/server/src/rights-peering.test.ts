import { BoundedCounter, type BoundedCounterState, type ReplicaId } from '@helios/core';
import { baseSeed, createRng } from '@helios/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { startMemoryMesh } from './test-support/memory-mesh.js';
import { eventually, ProtocolClient } from './test-support/protocol-client.js';
import { drawRights, replicasOf, rightsAt } from './test-support/rights.js';

const open: { close(): unknown }[] = [];
afterEach(async () => {
  for (const c of open.splice(0).reverse()) await c.close();
});

const REGIONS = ['us-east-1', 'eu-west-1', 'sa-east-1'] as const;
type Region = (typeof REGIONS)[number];

/** Three peered relays, each link through its own proxy, with a short wait for peers' rights. */
async function startMesh() {
  return startMemoryMesh(REGIONS, (c) => open.push(c), { rights: { peerWaitMs: 500 } });
}

async function buyerAt(url: string): Promise<ProtocolClient> {
  const c = new ProtocolClient(url);
  open.push(c);
  await c.ready();
  await c.subscribe('stock', BoundedCounter);
  return c;
}

const stateOf = (c: ProtocolClient) => c.docs.get('stock')!.state as BoundedCounterState;

/** Adds `total` at `owner`'s region and gives each relay its share. */
async function seed(owner: ProtocolClient, shares: readonly [ReplicaId, number][]): Promise<void> {
  const total = shares.reduce((sum, [, n]) => sum + n, 0);
  await owner.write('stock', (s, me) =>
    BoundedCounter.increment(s as BoundedCounterState, me, total),
  );
  for (const [relay, n] of shares) {
    if (n > 0) {
      await owner.write('stock', (s, me) =>
        BoundedCounter.transfer(s as BoundedCounterState, me, relay, n),
      );
    }
  }
}

describe('rights between regions', () => {
  it('a region with no rights gets them from a peer, by a transfer in its feed', async () => {
    const { relays } = await startMesh();
    const us = relays.get('us-east-1')!;
    const eu = relays.get('eu-west-1')!;
    const owner = await buyerAt(us.url);
    await seed(owner, [[us.relay.replica!, 30]]);
    const buyer = await buyerAt(eu.url);
    await eventually(() => rightsAt(buyer, 'stock', us.relay.replica!) === 30, 'eu sees the stock');
    expect(rightsAt(buyer, 'stock', eu.relay.replica!)).toBe(0);
    const grant = await drawRights(buyer, 'stock', 4);
    expect(grant).toMatchObject({ kind: 'rights-grant', granted: 4, from: eu.relay.replica });
    await buyer.write('stock', (s, me) =>
      BoundedCounter.decrement(s as BoundedCounterState, me, 4),
    );
    await eventually(() => owner.value('stock') === 26, 'the sale reaches us-east-1');
    // The rights moved, none were made: us-east-1 and eu-west-1 hold the 26 left between them.
    await eventually(
      () =>
        rightsAt(owner, 'stock', us.relay.replica!) +
          rightsAt(owner, 'stock', eu.relay.replica!) ===
        26,
      'the regions hold what is left',
    );
    expect(rightsAt(owner, 'stock', eu.relay.replica!)).toBeGreaterThan(0);
    const given = await us.relay.metrics.rightsGranted.get();
    expect(given.values.find((v) => v.labels.to === 'peer')?.value).toBeGreaterThan(0);
    const asks = await eu.relay.metrics.rightsAskSeconds.get();
    expect(
      asks.values.find((v) => v.metricName?.endsWith('_count') && v.labels.outcome === 'arrived')
        ?.value,
    ).toBeGreaterThan(0);
    // eu-west-1 held none: its client's request was decided once us-east-1's transfer arrived.
    const requests = await eu.relay.metrics.rightsRequests.get();
    expect(requests.values.find((v) => v.labels.decided === 'after-ask')?.value).toBeGreaterThan(0);
  });

  it('conserves rights over a random schedule of draws, sales, returns and partitions', async () => {
    const rng = createRng(baseSeed());
    const seedNote = `seed ${rng.seed} (HELIOS_SEED replays it)`;
    const { relays, partition } = await startMesh();
    const replicaOf = (r: Region) => relays.get(r)!.relay.replica!;
    const buyers = new Map<Region, ProtocolClient>();
    for (const region of REGIONS) buyers.set(region, await buyerAt(relays.get(region)!.url));
    const initial = 40;
    await seed(buyers.get('us-east-1')!, [
      [replicaOf('us-east-1'), 25],
      [replicaOf('eu-west-1'), 10],
      [replicaOf('sa-east-1'), 5],
    ]);
    await eventually(
      () => [...buyers.values()].every((b) => b.value('stock') === initial),
      'every region sees the stock',
    );
    let sold = 0;
    const cut = new Set<Region>();
    for (let step = 0; step < 30; step++) {
      const region = rng.pick(REGIONS);
      const buyer = buyers.get(region)!;
      const op = rng.int(10);
      if (op < 4) {
        await drawRights(buyer, 'stock', rng.range(1, 6));
      } else if (op < 7) {
        const n = Math.min(rightsAt(buyer, 'stock', buyer.replica), rng.range(1, 4));
        if (n > 0) {
          await buyer.write('stock', (s, me) =>
            BoundedCounter.decrement(s as BoundedCounterState, me, n),
          );
          sold += n;
        }
      } else if (op < 8) {
        const n = rightsAt(buyer, 'stock', buyer.replica);
        if (n > 0) {
          await buyer.write('stock', (s, me) =>
            BoundedCounter.transfer(s as BoundedCounterState, me, replicaOf(region), n),
          );
        }
      } else if (cut.has(region)) {
        partition(region, false);
        cut.delete(region);
      } else {
        partition(region, true);
        cut.add(region);
      }
      for (const b of buyers.values()) {
        expect(b.value('stock'), seedNote).toBeGreaterThanOrEqual(0);
        expect(rightsAt(b, 'stock', b.replica), seedNote).toBeGreaterThanOrEqual(0);
      }
    }
    for (const region of cut) partition(region, false);
    await eventually(
      () => [...buyers.values()].every((b) => b.value('stock') === initial - sold),
      `every region converges on ${initial - sold} (${seedNote})`,
      20_000,
    );
    // Settled: every region's copy counts the same rights, none negative, and they add up to the
    // stock left (rights are moved, never made or lost).
    await eventually(
      () => {
        const views = [...buyers.values()].map((b) =>
          replicasOf(stateOf(b))
            .sort()
            .map((r) => `${r}=${rightsAt(b, 'stock', r)}`)
            .join(','),
        );
        return views.every((v) => v === views[0]);
      },
      `every region counts the same rights (${seedNote})`,
      20_000,
    );
    const state = stateOf(buyers.get('us-east-1')!);
    const rights = replicasOf(state).map((r) => BoundedCounter.localRights(state, r));
    expect(
      rights.every((n) => n >= 0),
      seedNote,
    ).toBe(true);
    expect(
      rights.reduce((a, b) => a + b, 0),
      seedNote,
    ).toBe(initial - sold);
  }, 60_000);
});
