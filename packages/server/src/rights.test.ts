import { BoundedCounter, type BoundedCounterState } from '@helios/core';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createRelay, type Relay } from './relay.js';
import { MemoryStore } from './store/memory-store.js';
import { SqliteStore } from './store/sqlite-store.js';
import { eventually, ProtocolClient } from './test-support/protocol-client.js';
import { drawRights, rightsAt } from './test-support/rights.js';
import { tempDir } from './test-support/temp-dir.js';

const open: { close(): unknown }[] = [];
afterEach(async () => {
  for (const c of open.splice(0).reverse()) await c.close();
});

async function startRelay(
  options: Partial<Parameters<typeof createRelay>[0]> = {},
): Promise<{ relay: Relay; url: string }> {
  const relay = createRelay({
    region: 'us-east-1',
    store: new MemoryStore({ region: 'us-east-1' }),
    anonymous: true,
    logger: pino({ level: 'silent' }),
    ...options,
  });
  open.push(relay);
  const { url } = await relay.listen(0);
  return { relay, url };
}

async function client(url: string, options?: ConstructorParameters<typeof ProtocolClient>[1]) {
  const c = new ProtocolClient(url, options);
  open.push(c);
  await c.ready();
  return c;
}

/** A stock owner who adds `units` and gives them all to the relay's replica. */
async function seed(url: string, relay: Relay, units: number): Promise<ProtocolClient> {
  const owner = await client(url);
  await owner.subscribe('stock', BoundedCounter);
  await owner.write('stock', (s, me) =>
    BoundedCounter.increment(s as BoundedCounterState, me, units),
  );
  await owner.write('stock', (s, me) =>
    BoundedCounter.transfer(s as BoundedCounterState, me, relay.replica!, units),
  );
  return owner;
}

describe('rights held by the region relay', () => {
  it('a client with no rights draws from its relay and decrements', async () => {
    const { relay, url } = await startRelay();
    expect(relay.replica).toMatch(/^relay:us-east-1:/);
    await seed(url, relay, 5);
    const buyer = await client(url);
    await buyer.subscribe('stock', BoundedCounter);
    expect(rightsAt(buyer, 'stock', buyer.replica)).toBe(0);
    expect(rightsAt(buyer, 'stock', relay.replica!)).toBe(5);
    const grant = await drawRights(buyer, 'stock', 3);
    expect(grant).toMatchObject({ kind: 'rights-grant', granted: 3, from: relay.replica });
    expect(rightsAt(buyer, 'stock', buyer.replica)).toBe(3);
    await buyer.write('stock', (s, me) =>
      BoundedCounter.decrement(s as BoundedCounterState, me, 3),
    );
    const reader = await client(url);
    await reader.subscribe('stock', BoundedCounter);
    expect(reader.value('stock')).toBe(2);
    expect(rightsAt(reader, 'stock', relay.replica!)).toBe(2);
    // Only what is left: 2 of the 10 asked.
    expect(await drawRights(buyer, 'stock', 10)).toMatchObject({ granted: 2 });
  });

  it('grants at most its per-request cap, and names its replica to a request for nothing', async () => {
    const { relay, url } = await startRelay({ rights: { maxGrant: 4 } });
    await seed(url, relay, 50);
    const buyer = await client(url);
    await buyer.subscribe('stock', BoundedCounter);
    expect(await drawRights(buyer, 'stock', 1_000)).toMatchObject({ granted: 4 });
    const probe = await drawRights(buyer, 'stock', 0);
    expect(probe).toMatchObject({ granted: 0, from: relay.replica });
    expect(probe).not.toHaveProperty('delta');
  });

  it('refuses at once when neither the region nor a reachable peer holds rights', async () => {
    const { relay, url } = await startRelay({
      peers: [{ region: 'eu-west-1', url: 'http://127.0.0.1:9' }],
    });
    await seed(url, relay, 1);
    const buyer = await client(url);
    await buyer.subscribe('stock', BoundedCounter);
    expect(await drawRights(buyer, 'stock', 1)).toMatchObject({ granted: 1 });
    const started = Date.now();
    expect(await drawRights(buyer, 'stock', 1)).toMatchObject({ kind: 'rights-grant', granted: 0 });
    expect(Date.now() - started).toBeLessThan(500);
    const decided = (await relay.metrics.rightsRequests.get()).values;
    expect(Object.fromEntries(decided.map((v) => [v.labels.decided, v.value]))).toEqual({
      here: 1,
      none: 1,
    });
    // A document that is no bounded counter, or does not exist, holds no rights either.
    expect(await drawRights(buyer, 'nothing-here', 1)).toMatchObject({ granted: 0 });
  });

  it('refuses requests for another replica, over the rate budget, and clients posing as a relay', async () => {
    const { relay, url } = await startRelay({ limits: { maxRightsRequestsPerSecond: 2 } });
    await seed(url, relay, 100);
    const buyer = await client(url);
    await buyer.subscribe('stock', BoundedCounter);
    expect(await drawRights(buyer, 'stock', 1, 'a0a0a0a0a0a0a0')).toMatchObject({
      kind: 'error',
      code: 'forbidden',
    });
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => drawRights(buyer, 'stock', 1)),
    );
    const refused = answers.filter((a) => a.kind === 'error');
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.every((a) => a.kind === 'error' && a.code === 'rate-limited')).toBe(true);
    await expect(client(url, { replica: relay.replica! })).rejects.toMatchObject({
      message: expect.stringContaining('relays'),
    });
  });

  it('keeps its replica, and the rights it holds, across a restart', async () => {
    const dir = await tempDir('helios-rights-');
    open.push({ close: () => dir.remove() });
    const path = `${dir.path}/relay.sqlite`;
    const first = await startRelay({
      store: await SqliteStore.open({ path, region: 'us-east-1' }),
    });
    await seed(first.url, first.relay, 6);
    const before = await client(first.url);
    await before.subscribe('stock', BoundedCounter);
    expect(await drawRights(before, 'stock', 2)).toMatchObject({ granted: 2 });
    await first.relay.close();
    const second = await startRelay({
      store: await SqliteStore.open({ path, region: 'us-east-1' }),
    });
    expect(second.relay.replica).toBe(first.relay.replica);
    const after = await client(second.url);
    await after.subscribe('stock', BoundedCounter);
    // Its dots continue after the ones it minted before the restart: the grant is admitted.
    expect(await drawRights(after, 'stock', 10)).toMatchObject({ granted: 4 });
    await after.write('stock', (s, me) =>
      BoundedCounter.decrement(s as BoundedCounterState, me, 4),
    );
    await eventually(() => after.value('stock') === 2, 'the sale counts');
  });

  it('holds none, and says so, where its replica id cannot exist', async () => {
    const region = 'r'.repeat(50); // relay:<region>:<epoch> would pass the 64 characters of an id
    const { relay, url } = await startRelay({ region, store: new MemoryStore({ region }) });
    expect(relay.replica).toBeUndefined();
    const buyer = await client(url);
    await buyer.subscribe('stock', BoundedCounter);
    expect(await drawRights(buyer, 'stock', 1)).toMatchObject({
      kind: 'error',
      code: 'unavailable',
    });
  });

  it('refuses a bad rights policy at createRelay, with the setting named', () => {
    const store = new MemoryStore({ region: 'us-east-1' });
    for (const rights of [{ maxGrant: 0 }, { lowWater: -1 }, { peerWaitMs: Number.NaN }]) {
      expect(() => createRelay({ region: 'us-east-1', store, anonymous: true, rights })).toThrow(
        new RegExp(`rights\\.${Object.keys(rights)[0]}`),
      );
    }
  });
});
