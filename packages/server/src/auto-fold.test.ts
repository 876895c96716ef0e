import { FOLD_REPLICA, newEpochReplicaId, PNCounter } from '@helios/core';
import { afterEach, describe, expect, it } from 'vitest';
import type { AdminFold } from './node-folding.js';
import type { Relay } from './relay.js';
import { foldOwner } from './retirement.js';
import { startMemoryMesh } from './test-support/memory-mesh.js';
import { PEER_TRANSPORTS, type PeerTransportName } from './test-support/peer-transports.js';
import { eventually, ProtocolClient } from './test-support/protocol-client.js';

const open: { close(): unknown }[] = [];
afterEach(async () => {
  for (const c of open.splice(0).reverse()) await c.close();
});

const REGIONS = ['us-east-1', 'eu-west-1', 'sa-east-1'] as const;
type Region = (typeof REGIONS)[number];
const TOKEN = 'admin-secret-of-some-length';
/** A counter the first region folds (`foldOwner`): the others only receive its fold. */
const DOC = Array.from({ length: 100 }, (_, i) => `likes:${i}`).find(
  (d) => foldOwner(d, REGIONS) === 'us-east-1',
)!;

/** Three relays in a full mesh with the automatic fold on, every link through a proxy. */
async function startMesh(transport: PeerTransportName, retired: { below: number }) {
  const options = {
    adminToken: TOKEN,
    retiredEpochsBelow: () => retired.below,
    autoFold: { intervalMs: 50, graceMs: 0, docsPerTick: 10 },
  };
  return startMemoryMesh(REGIONS, (c) => open.push(c), options, transport);
}

async function clientOf(url: string, replica: string): Promise<ProtocolClient> {
  const c = new ProtocolClient(url, { replica });
  open.push(c);
  await c.ready();
  await c.subscribe(DOC, PNCounter);
  return c;
}

function stateOf(c: ProtocolClient) {
  return c.docs.get(DOC)!.state as ReturnType<typeof PNCounter.empty>;
}

async function foldStatus(url: string): Promise<AdminFold> {
  const res = await fetch(`${url}/admin/fold`, { headers: { authorization: `Bearer ${TOKEN}` } });
  return (await res.json()) as AdminFold;
}

/** Polls the admin endpoint of `url` until `check` holds of its fold status. */
async function eventuallyStatus(url: string, check: (s: AdminFold) => boolean, what: string) {
  const deadline = Date.now() + 10_000;
  while (!check(await foldStatus(url))) {
    if (Date.now() > deadline) throw new Error(`not reached within 10 s: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const metric = async (relay: Relay, name: string) =>
  (await relay.metrics.registry.getSingleMetric(name)!.get()).values[0]?.value ?? 0;

describe.each(PEER_TRANSPORTS)('the automatic fold over %s', (transport) => {
  it('waits for the writes a partitioned region accepted before retiring, then folds them exactly', async () => {
    const retired = { below: 0 };
    const { relays, partition } = await startMesh(transport, retired);
    const url = (r: Region) => relays.get(r)!.url;
    const readers = new Map<Region, ProtocolClient>();
    for (const region of REGIONS)
      readers.set(region, await clientOf(url(region), newEpochReplicaId(1)));
    const all = () => [...readers.values()];
    // Five epoch-0 writers in each region like once.
    for (const region of REGIONS) {
      for (let i = 0; i < 5; i++) {
        const w = await clientOf(url(region), newEpochReplicaId(0));
        await w.write(DOC, (s, me) => PNCounter.increment(s, me));
      }
    }
    await eventually(() => all().every((r) => r.value(DOC) === 15), 'every region has 15');

    // sa-east-1 is cut off; its epoch-0 writers go on writing there: 3 likes and a +4.
    partition('sa-east-1', true);
    for (let i = 0; i < 3; i++) {
      const w = await clientOf(url('sa-east-1'), newEpochReplicaId(0));
      await w.write(DOC, (s, me) => PNCounter.increment(s, me, i === 0 ? 5 : 1));
    }
    await eventually(() => readers.get('sa-east-1')!.value(DOC) === 22, 'sa-east-1 has 22');
    // Epoch 0 retires everywhere. Each region closes it; sa-east-1's receipt cannot get out.
    retired.below = 1;
    await eventuallyStatus(
      url('us-east-1'),
      (s) =>
        s.closure?.below === 1 &&
        s.peers.find((p) => p.region === 'eu-west-1')?.receipt?.below === 1,
      "us-east-1 closed epoch 0 and has eu-west-1's receipt",
    );
    await eventuallyStatus(
      url('sa-east-1'),
      (s) => s.closure?.below === 1,
      'sa-east-1 closed epoch 0 behind the partition',
    );
    // Many ticks of the job later: still nothing folded, since sa-east-1's writes are missing.
    await new Promise((r) => setTimeout(r, 600));
    const before = await foldStatus(url('us-east-1'));
    expect(before.stableFrontier).toBe(0);
    expect(before.job!.lastTickAt).toBeGreaterThan(0); // the job ran, and found nothing stable
    expect(before.job!.folded).toBe(0);
    expect(await metric(relays.get('us-east-1')!.relay, 'helios_folds_total')).toBe(0);
    for (const r of all()) expect(stateOf(r).context.frontier).toBe(0);

    // The partition heals: sa-east-1's feed and receipt arrive, then the fold, once.
    partition('sa-east-1', false);
    await eventually(
      () => all().every((r) => stateOf(r).context.frontier === 1 && r.value(DOC) === 22),
      'every region has the fold, and 22',
    );
    await new Promise((r) => setTimeout(r, 300)); // late feed entries would change nothing
    for (const r of all()) {
      expect(r.value(DOC)).toBe(22);
      expect([...stateOf(r).context.replicas()]).toEqual([FOLD_REPLICA]);
      expect(stateOf(r).store.length).toBe(1);
    }
    expect(await metric(relays.get('us-east-1')!.relay, 'helios_folds_total')).toBe(1);
    for (const other of ['eu-west-1', 'sa-east-1'] as const) {
      expect(await metric(relays.get(other)!.relay, 'helios_folds_total')).toBe(0);
    }
    const after = await foldStatus(url('us-east-1'));
    expect(after.stableFrontier).toBe(1);
    expect(after.job!.folded).toBe(1);
    expect(await metric(relays.get('us-east-1')!.relay, 'helios_fold_frontier')).toBe(1);
  }, 30_000);
});
