import { randomBytes } from 'node:crypto';
import { BoundedCounter, type BoundedCounterState, type ReplicaId } from '@helios/core';
import { freePort } from '@helios/test-kit';
import type { Pool } from 'pg';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRelay, type Relay } from './relay.js';
import { PostgresStore } from './store/postgres-store.js';
import { connectTestPostgres, TEST_PG_URL, uniqueSchema } from './test-support/postgres.js';
import { eventually, ProtocolClient } from './test-support/protocol-client.js';
import { checkTestRedis, TEST_REDIS_URL } from './test-support/redis.js';
import { RelayProcess } from './test-support/relay-process.js';
import { slotHolderPid, terminateSlotHolder } from './test-support/relay-slots.js';
import { drawRights, replicasOf, rightsAt } from './test-support/rights.js';

/**
 * Rights of bounded counters in a region of several relay nodes (shared Postgres schema, Redis
 * adapter): each node holds its own, as the replica of its node slot (docs/architecture.md
 * §5.2). Each test has a schema and a deployment name of its own.
 */
const RUN = randomBytes(4).toString('hex');
const REGION = 'us-east-1';
let admin: Pool;
const open: { close(): unknown }[] = [];
const schemas: string[] = [];
let tests = 0;

beforeAll(async () => {
  admin = await connectTestPostgres();
  await checkTestRedis();
});
afterEach(async () => {
  for (const c of open.splice(0).reverse()) await c.close();
});
afterAll(async () => {
  for (const schema of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await admin?.end();
});

/** A fresh region: its schema and deployment name. */
function region(): { schema: string; deployment: string } {
  const schema = uniqueSchema();
  schemas.push(schema);
  return { schema, deployment: `test-${RUN}-${tests++}` };
}

/** One node of the region, in this process, listening. */
async function startNode(at: { schema: string; deployment: string }): Promise<RelayNodeHandle> {
  const store = await PostgresStore.open({ connectionString: TEST_PG_URL, region: REGION, ...at });
  const relay = createRelay({
    region: REGION,
    store,
    anonymous: true,
    redisUrl: TEST_REDIS_URL,
    deployment: at.deployment,
    logger: pino({ level: 'silent' }),
  });
  open.push(relay);
  const { url } = await relay.listen(0);
  return { relay, url };
}

interface RelayNodeHandle {
  readonly relay: Relay;
  readonly url: string;
}

async function client(url: string): Promise<ProtocolClient> {
  const c = new ProtocolClient(url);
  open.push(c);
  await c.ready();
  await c.subscribe('stock', BoundedCounter);
  return c;
}

const counter = (c: ProtocolClient) => c.docs.get('stock')!.state as BoundedCounterState;

/** The stock's owner adds `units` and gives `shares[i]` of them to replica `to[i]`. */
async function deposit(url: string, units: number, to: readonly [ReplicaId, number][]) {
  const owner = await client(url);
  await owner.write('stock', (s, me) =>
    BoundedCounter.increment(s as BoundedCounterState, me, units),
  );
  for (const [relay, n] of to) {
    await owner.write('stock', (s, me) =>
      BoundedCounter.transfer(s as BoundedCounterState, me, relay, n),
    );
  }
  return owner;
}

/** Draws one right and spends it; false when none was granted (or the request was refused). */
async function sellOne(buyer: ProtocolClient): Promise<boolean> {
  const grant = await drawRights(buyer, 'stock', 1);
  if (grant.kind !== 'rights-grant' || grant.granted === 0) return false;
  await buyer.write('stock', (s, me) => BoundedCounter.decrement(s as BoundedCounterState, me, 1));
  return true;
}

/** Sells until `refusals` requests in a row got nothing; resolves with the units sold. */
async function sellAll(buyer: ProtocolClient, refusals = 3): Promise<number> {
  let sold = 0;
  for (let missed = 0; missed < refusals; ) {
    if (await sellOne(buyer)) {
      sold++;
      missed = 0;
    } else missed++;
  }
  return sold;
}

/** What a client subscribing now through `url` is sent: the node's view of the stock. */
async function freshView(url: string): Promise<ProtocolClient> {
  return client(url);
}

/**
 * The dot-integrity check over the store: every change of `doc` decoded, no dot of a relay's
 * replica is stored with two different contents (which two nodes minting for one replica would
 * cause), and each relay replica's seqs have no gap.
 */
async function checkRelayDots(schema: string, doc: string): Promise<Map<ReplicaId, number>> {
  const { rows } = await admin.query<{ delta: Buffer }>(
    `SELECT delta FROM "${schema}".changes WHERE doc = $1 ORDER BY seq`,
    [doc],
  );
  const contents = new Map<string, string>();
  for (const { delta } of rows) {
    const state = BoundedCounter.decode(new Uint8Array(delta));
    for (const entry of state.store) {
      if (!entry.replica.startsWith('relay:')) continue;
      const key = `${entry.replica}#${entry.seq}`;
      const content = JSON.stringify(entry.value);
      expect(contents.get(key) ?? content, `dot ${key} minted twice`).toBe(content);
      contents.set(key, content);
    }
  }
  const highest = new Map<ReplicaId, number>();
  const seqs = new Map<ReplicaId, Set<number>>();
  for (const key of contents.keys()) {
    const [replica, seq] = key.split('#') as [ReplicaId, string];
    seqs.set(replica, (seqs.get(replica) ?? new Set()).add(Number(seq)));
  }
  for (const [replica, set] of seqs) {
    highest.set(replica, Math.max(...set));
    // A relay's transfers each carry its latest entry: every seq from 1 up is there.
    expect([...set].sort((a, b) => a - b)).toEqual(
      Array.from({ length: set.size }, (_, i) => i + 1),
    );
  }
  return highest;
}

describe('rights in a region of several relay nodes', () => {
  it('each node holds and grants rights as a replica of its own', async () => {
    const at = region();
    // Nodes below `lowWater` (20) ask peer regions only, not each other: each node's rights stay
    // what it was given less what it granted.
    const one = await startNode(at);
    const two = await startNode(at);
    const first = one.relay.replica!;
    expect(first).toMatch(/^relay:us-east-1:[0-9a-f]{8}$/); // slot 0: a single node's id
    expect(two.relay.replica).toBe(`${first}.1`);
    await deposit(one.url, 20, [
      [first, 10],
      [two.relay.replica!, 10],
    ]);
    const buyers = [await client(one.url), await client(two.url)];
    await eventually(() => rightsAt(buyers[1]!, 'stock', two.relay.replica!) === 10, 'seen');
    expect(await drawRights(buyers[0]!, 'stock', 4)).toMatchObject({ granted: 4, from: first });
    expect(await drawRights(buyers[1]!, 'stock', 3)).toMatchObject({
      granted: 3,
      from: two.relay.replica,
    });
    const view = await freshView(two.url);
    expect(rightsAt(view, 'stock', first)).toBe(6);
    expect(rightsAt(view, 'stock', two.relay.replica!)).toBe(7);
    await checkRelayDots(at.schema, 'stock');
  });

  it('a stock sold through both nodes never oversells, and a node without rights gets its sibling’s', async () => {
    const at = region();
    const nodes = [await startNode(at), await startNode(at)];
    const STOCK = 40;
    // All of it with node 1: node 2's buyers are served by asking node 1.
    await deposit(nodes[0]!.url, STOCK, [[nodes[0]!.relay.replica!, STOCK]]);
    const buyers = await Promise.all(nodes.flatMap((n) => [client(n.url), client(n.url)]));
    const sold = await Promise.all(buyers.map((b) => sellAll(b)));
    // A transfer that arrived after a buyer gave up is sold by a last round.
    for (const b of buyers) sold.push(await sellAll(b, 1));
    const total = sold.reduce((a, b) => a + b, 0);
    expect(sold[2]! + sold[3]!).toBeGreaterThan(0); // node 2 sold rights node 1 held
    expect(total).toBe(STOCK);
    for (const n of nodes) {
      const view = await freshView(n.url);
      await eventually(() => view.value('stock') === 0, `node ${n.relay.replica}: nothing left`);
      const state = counter(view);
      const rights = replicasOf(state).map((r) => BoundedCounter.localRights(state, r));
      expect(rights.every((r) => r === 0)).toBe(true);
    }
    const grants = await nodes[0]!.relay.metrics.rightsGranted.get();
    const toNode = grants.values.find((v) => v.labels.to === 'node')?.value ?? 0;
    expect(toNode).toBeGreaterThan(0);
    await checkRelayDots(at.schema, 'stock');
  });

  it('a node whose slot lock was cut stops granting; the slot’s new holder alone mints its dots', async () => {
    const at = region();
    const one = await startNode(at);
    const two = await startNode(at);
    const slot0 = one.relay.replica!;
    await deposit(one.url, 30, [
      [slot0, 20],
      [two.relay.replica!, 10],
    ]);
    const buyer = await client(one.url);
    expect(await drawRights(buyer, 'stock', 2)).toMatchObject({ granted: 2, from: slot0 });

    // Node 1's lock session ends; another node (a store standing for it) claims the slot at once.
    await terminateSlotHolder(admin, at.schema, 0);
    const intruder = await PostgresStore.open({
      connectionString: TEST_PG_URL,
      region: REGION,
      ...at,
    });
    open.push(intruder);
    expect(await intruder.relaySlots.claim(1)).toMatchObject({ slot: 0 });
    const before = (await checkRelayDots(at.schema, 'stock')).get(slot0);

    // Whether node 1 noticed (no replica) or not yet (its fenced commit is refused), it grants
    // nothing as slot 0, then claims the lowest free slot, 2, and goes on as that replica.
    const refused = await drawRights(buyer, 'stock', 2);
    expect(refused).toMatchObject({ kind: 'error', code: 'unavailable' });
    await eventually(() => one.relay.replica === `${slot0}.2`, 'node 1 holds slot 2');
    expect((await checkRelayDots(at.schema, 'stock')).get(slot0)).toBe(before);
    // It holds nothing as slot 2: it asks node 2 (slot 1), which gives half of its 10.
    const grant = await drawRights(buyer, 'stock', 2);
    expect(grant).toMatchObject({ kind: 'rights-grant', granted: 2, from: `${slot0}.2` });
    await checkRelayDots(at.schema, 'stock');
  });
});

describe('a relay node killed and restarted', () => {
  it('takes its slot over again, with the rights its replica holds, and reuses no dot', async () => {
    const at = region();
    const ports = [await freePort(), await freePort()];
    const args = (port: number) => [
      ...['--region', REGION, '--port', String(port), '--pg', TEST_PG_URL],
      ...['--pg-schema', at.schema, '--redis', TEST_REDIS_URL, '--deployment', at.deployment],
      '--anonymous',
    ];
    const procs = [await RelayProcess.start(args(ports[0]!))];
    open.push({ close: () => procs[0]?.stop('SIGKILL') });
    procs.push(await RelayProcess.start(args(ports[1]!)));
    open.push({ close: () => procs[1]?.stop('SIGKILL') });
    const replicaOf = async (url: string) => {
      const probe = await client(url);
      const answer = await drawRights(probe, 'stock', 0);
      probe.close();
      return answer.kind === 'rights-grant' ? answer.from : undefined;
    };
    await deposit(procs[0]!.url, 20, []);
    const slot1 = (await replicaOf(procs[1]!.url))!;
    expect(slot1).toMatch(/\.1$/);
    await deposit(procs[0]!.url, 12, [[slot1, 12]]);
    const buyer = await client(procs[1]!.url);
    // 6 units drawn one by one: 6 dots of slot 1 …
    for (let i = 0; i < 6; i++) expect(await sellOne(buyer)).toBe(true);
    const before = (await checkRelayDots(at.schema, 'stock')).get(slot1)!;
    expect(before).toBe(6);

    await procs[1]!.stop('SIGKILL');
    // Postgres ends the dead node's session (and its slot lock) once it sees the socket closed.
    for (let i = 0; (await slotHolderPid(admin, at.schema, 1)) !== undefined; i++) {
      if (i > 500) throw new Error('slot 1 still held after its node died');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    procs[1] = await RelayProcess.start(args(ports[1]!));
    // The restarted node takes the slot its last life held, and the 6 rights left with it.
    expect(await replicaOf(procs[1]!.url)).toBe(slot1);
    const again = await client(procs[1]!.url);
    const granted = await drawRights(again, 'stock', 10);
    expect(granted).toMatchObject({ granted: 6, from: slot1 });
    // … and its dots continue after those of its last life.
    expect((await checkRelayDots(at.schema, 'stock')).get(slot1)).toBe(before + 1);
  });
});
