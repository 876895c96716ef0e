import { randomBytes } from 'node:crypto';
import { AWSet } from '@helios/core';
import { freePort, TcpProxy } from '@helios/test-kit';
import type { Pool } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectTestPostgres, TEST_PG_URL, uniqueSchema } from './test-support/postgres.js';
import { eventually, ProtocolClient } from './test-support/protocol-client.js';
import { checkTestRedis, TEST_REDIS_URL } from './test-support/redis.js';
import { RelayProcess } from './test-support/relay-process.js';

/**
 * Two relay nodes of one region (CLI processes, shared Postgres schema and Redis), node A
 * reaching Redis through a proxy the test cuts: the cross-node notices of A's commits, and of
 * B's commits to A, are then lost, as when a node dies between its commit and its notice.
 */
const RUN = randomBytes(4).toString('hex');
const schema = uniqueSchema();
let pool: Pool | undefined;
let proxy: TcpProxy | undefined;
const nodes: RelayProcess[] = [];
const clients: ProtocolClient[] = [];
let a: RelayProcess;
let b: RelayProcess;

function nodeArgs(port: number, redis: string): string[] {
  return [
    ...['--region', 'us-east-1', '--port', String(port), '--pg', TEST_PG_URL],
    ...['--pg-schema', schema, '--redis', redis, '--deployment', `test-${RUN}`, '--anonymous'],
  ];
}

async function subscriber(url: string, doc: string): Promise<ProtocolClient> {
  const c = new ProtocolClient(url);
  clients.push(c);
  await c.ready();
  await c.subscribe(doc, AWSet);
  return c;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const has = (c: ProtocolClient, doc: string, item: string) =>
  (c.value(doc) as Set<string>).has(item);

beforeAll(async () => {
  pool = await connectTestPostgres();
  await checkTestRedis();
  proxy = new TcpProxy(Number(new URL(TEST_REDIS_URL).port || 6379));
  const proxied = (await proxy.listen()).replace(/^http:/, 'redis:');
  // One after the other: the second node finds the schema the first one created.
  a = await RelayProcess.start(nodeArgs(await freePort(), proxied));
  nodes.push(a);
  b = await RelayProcess.start(nodeArgs(await freePort(), TEST_REDIS_URL));
  nodes.push(b);
});

afterAll(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const n of nodes) await n.stop('SIGKILL');
  await proxy?.close();
  if (pool) {
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pool.end();
  }
});

describe('a node catches up from the shared store when cross-node notices were lost', () => {
  it('after its own Redis connection comes back', async () => {
    const doc = 'reconnect';
    const onA = await subscriber(a.url, doc);
    const onB = await subscriber(b.url, doc);
    await onB.write(doc, (s, me) => AWSet.add(s, me, 'live'));
    await eventually(() => has(onA, doc, 'live'), 'A hears B live');

    proxy!.cut();
    await onB.write(doc, (s, me) => AWSet.add(s, me, 'while-cut'));
    await sleep(300);
    expect(has(onA, doc, 'while-cut')).toBe(false);
    const healed = Date.now();
    proxy!.heal();
    // Well before A would count B as silent (6 s without a heartbeat): the reconnect did it.
    await eventually(() => has(onA, doc, 'while-cut'), 'A catches up on reconnect', 4_000);
    console.log(`node catch-up: A caught up ${Date.now() - healed} ms after its Redis came back`);
  });

  it('after another node’s Redis connection drops with publishes in flight', async () => {
    const doc = 'in-flight';
    const onA = await subscriber(a.url, doc);
    const onB = await subscriber(b.url, doc);
    const acked: string[] = [];
    const pending: Promise<void>[] = [];
    for (let i = 0; i < 2_000; i++) {
      const item = `item-${i}`;
      pending.push(
        onA
          .write(doc, (s, me) => AWSet.add(s, me, item))
          .then(
            () => void acked.push(item),
            () => {},
          ),
      );
      if (i === 1_000) proxy!.cut();
      if (i % 100 === 0) await sleep(1);
    }
    // Writes to a node that died are never answered: wait for each at most 5 s.
    await Promise.all(pending.map((p) => Promise.race([p, sleep(5_000)])));
    // A lives on: a publish rejected by the dropped connection used to end the process.
    expect(a.child.exitCode).toBeNull();
    await sleep(300);
    const healed = Date.now();
    proxy!.heal();
    // Within the time A would take to count as silent (6 s), B has every write A acked: A
    // asked the other nodes to catch up once its publisher was back.
    await eventually(
      () => acked.every((item) => has(onB, doc, item)),
      'B has every write acked by A',
      4_000,
    );
    console.log(
      `node catch-up: ${acked.length} writes acked by A; B had them all ${Date.now() - healed} ms after A's Redis came back`,
    );
  });

  it('after another node goes silent (SIGKILL) with a commit whose notice never left it', async () => {
    const doc = 'killed';
    const onA = await subscriber(a.url, doc);
    const onB = await subscriber(b.url, doc);
    await onA.write(doc, (s, me) => AWSet.add(s, me, 'live'));
    await eventually(() => has(onB, doc, 'live'), 'B hears A live');

    proxy!.cut();
    await onA.write(doc, (s, me) => AWSet.add(s, me, 'committed-then-killed'));
    const killed = Date.now();
    await a.stop('SIGKILL');
    expect(has(onB, doc, 'committed-then-killed')).toBe(false);
    // A's last heartbeat is at most 2 s old; B counts it silent 6 s after that.
    await eventually(
      () => has(onB, doc, 'committed-then-killed'),
      'B catches up after A went silent',
      15_000,
    );
    console.log(`node catch-up: B caught up ${Date.now() - killed} ms after A was killed`);
  });
});
