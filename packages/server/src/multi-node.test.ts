import { randomBytes } from 'node:crypto';
import { AWSet, GCounter, PNCounter } from '@helios/core';
import { freePort } from '@helios/test-kit';
import type { Pool } from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectTestPostgres, TEST_PG_URL, uniqueSchema } from './test-support/postgres.js';
import { eventually, ProtocolClient } from './test-support/protocol-client.js';
import { checkTestRedis, TEST_REDIS_URL } from './test-support/redis.js';
import { RelayProcess } from './test-support/relay-process.js';

/**
 * Two relay nodes of one region, as separate processes started through the CLI, sharing one
 * Postgres schema and one Redis (the Socket.IO adapter). The deployment name carries a random
 * suffix, so other runs on the same Redis use other channels.
 */
const RUN = randomBytes(4).toString('hex');
const schema = uniqueSchema();
let pool: Pool | undefined;
const ports: number[] = [];
const nodes: (RelayProcess | undefined)[] = [undefined, undefined];
const clients: ProtocolClient[] = [];

function nodeArgs(port: number): string[] {
  return [
    '--region',
    'us-east-1',
    '--port',
    String(port),
    '--pg',
    TEST_PG_URL,
    '--pg-schema',
    schema,
    '--redis',
    TEST_REDIS_URL,
    '--deployment',
    `test-${RUN}`,
    '--anonymous',
  ];
}

async function startNode(i: 0 | 1): Promise<RelayProcess> {
  const node = await RelayProcess.start(nodeArgs(ports[i]!));
  nodes[i] = node;
  return node;
}

function node(i: 0 | 1): RelayProcess {
  const n = nodes[i];
  if (n === undefined) throw new Error(`node ${i + 1} is not running`);
  return n;
}

async function clientOf(url: string): Promise<ProtocolClient> {
  const c = new ProtocolClient(url);
  clients.push(c);
  await c.ready();
  return c;
}

/** What a client that subscribes now, with nothing, is sent: the node's own view. */
async function freshItems(url: string, doc: string): Promise<Set<string>> {
  const reader = await clientOf(url);
  await reader.subscribe(doc, AWSet);
  expect(reader.errors).toEqual([]);
  return reader.value(doc) as Set<string>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  pool = await connectTestPostgres();
  await checkTestRedis();
  ports.push(await freePort(), await freePort());
  // One after the other: the second node finds the schema the first one created.
  await startNode(0);
  await startNode(1);
});

afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});

afterAll(async () => {
  for (const n of nodes) await n?.stop('SIGKILL');
  if (pool) {
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pool.end();
  }
});

describe('two relay nodes of one region (shared Postgres + Redis)', () => {
  it('a write through either node reaches the other node’s subscribers live', async () => {
    const doc = `tags-${RUN}`;
    const hits = `hits-${RUN}`;
    const one = await clientOf(node(0).url);
    const two = await clientOf(node(1).url);
    expect(one.welcome?.region).toBe('us-east-1');
    expect(two.welcome?.region).toBe('us-east-1');
    expect(one.welcome?.relayId).not.toBe(two.welcome?.relayId);
    for (const c of [one, two]) {
      await c.subscribe(doc, AWSet);
      await c.subscribe(hits, GCounter);
    }

    await one.write(doc, (s, me) => AWSet.add(s, me, 'via-1'));
    await eventually(() => (two.value(doc) as Set<string>).has('via-1'), 'node 2 sees via-1');
    await two.write(doc, (s, me) => AWSet.add(s, me, 'via-2'));
    await eventually(() => (one.value(doc) as Set<string>).has('via-2'), 'node 1 sees via-2');

    // Interleaved counter increments from both sides converge on both sides.
    for (let i = 0; i < 10; i++) {
      await Promise.all([
        one.write(hits, (s, me) => GCounter.increment(s, me, 1)),
        two.write(hits, (s, me) => GCounter.increment(s, me, 2)),
      ]);
    }
    await eventually(
      () => one.value(hits) === 30 && two.value(hits) === 30,
      'both clients count 30',
    );

    // Each node's own state (what a new subscriber is sent) holds the other node's writes too:
    // node 2 held the document in memory while node 1 committed to it.
    for (const i of [0, 1] as const) {
      expect([...(await freshItems(node(i).url, doc))].sort()).toEqual(['via-1', 'via-2']);
      const reader = await clientOf(node(i).url);
      await reader.subscribe(hits, GCounter);
      expect(reader.value(hits)).toBe(30);
    }
  });

  it('a node that heard the other’s commit of a document commits after it at the first try', async () => {
    const doc = `turns-${RUN}`;
    const one = await clientOf(node(0).url);
    const two = await clientOf(node(1).url);
    for (const c of [one, two]) await c.subscribe(doc, GCounter);
    const redone = async () => {
      let sum = 0;
      for (const i of [0, 1] as const) {
        const text = await (await fetch(`${node(i).url}/metrics`)).text();
        const count = /^helios_commits_redone_total(?:\{[^}]*\})? (\d+)/m.exec(text)?.[1];
        if (count === undefined) throw new Error(`node ${i + 1} has no commits-redone metric`);
        sum += Number(count);
      }
      return sum;
    };
    const before = await redone();
    // Turns: each write follows the other node's, once its notice has come (its client sees it).
    for (let turn = 1; turn <= 10; turn++) {
      const [writer, reader] = turn % 2 === 1 ? [one, two] : [two, one];
      await writer.write(doc, (s, me) => GCounter.increment(s, me, 1));
      await eventually(() => reader.value(doc) === turn, `turn ${turn} seen across`);
    }
    // Each node's notice told the other the change's predecessor, so the other knew it held
    // every change up to it, and its value's basis was current: no commit was refused and redone.
    expect(await redone()).toBe(before);
  });

  it('presence set through one node reaches the other node’s subscribers, and goes with its connection', async () => {
    const doc = `room-${RUN}`;
    const one = await clientOf(node(0).url);
    const two = await clientOf(node(1).url);
    for (const c of [one, two]) await c.subscribe(doc, GCounter);
    one.send({ kind: 'presence-set', doc, state: { looking: 'cart' } });
    const presence = (c: ProtocolClient) =>
      c.received.flatMap((m) => (m.kind === 'presence' && m.doc === doc ? m.entries : []));
    await eventually(() => presence(two).length === 1, 'node 2’s subscriber sees it');
    expect(presence(two)[0]).toMatchObject({ id: one.socket.id, region: 'us-east-1' });
    // A subscriber of node 2 that comes later gets it with its sync: node 2 holds it too.
    const three = await clientOf(node(1).url);
    await three.subscribe(doc, GCounter);
    await eventually(() => presence(three).length === 1, 'a later subscriber sees it');
    one.close();
    await eventually(
      () => presence(two).at(-1)?.state === undefined && presence(two).length === 2,
      'removed',
    );
  });

  it('a SQL write reaches the clients of both nodes within a second, also after a node dies', async () => {
    const doc = `likes-${RUN}`;
    const one = await clientOf(node(0).url);
    const two = await clientOf(node(1).url);
    await one.subscribe(doc, PNCounter);
    await two.subscribe(doc, PNCounter);
    await one.write(doc, (s, me) => PNCounter.increment(s, me, 1));
    const seenBy = (n: number) =>
      Promise.all([
        eventually(() => one.value(doc) === n, `node 1's client sees ${n}`, 1_000),
        eventually(() => two.value(doc) === n, `node 2's client sees ${n}`, 1_000),
      ]);
    await seenBy(1);
    await pool!.query(`SELECT "${schema}".increment($1, 10)`, [doc]);
    await seenBy(11); // whichever node applies the queue, both fan it out

    // Either node may be the one applying the queue: kill each in turn; the other takes over.
    let expected = 11;
    const readers = [one, two];
    for (const victim of [0, 1] as const) {
      const survivor = readers[victim === 0 ? 1 : 0]!;
      await node(victim).stop('SIGKILL');
      nodes[victim] = undefined;
      await pool!.query(`SELECT "${schema}".increment($1, 5)`, [doc]);
      expected += 5;
      // Taking over waits for the next look at the lock (every second).
      await eventually(() => survivor.value(doc) === expected, `${expected} after a kill`, 3_000);
      readers[victim] = await clientOf((await startNode(victim)).url);
      await readers[victim]!.subscribe(doc, PNCounter);
    }
    const { rows } = await pool!.query(`SELECT value FROM "${schema}".counters WHERE doc = $1`, [
      doc,
    ]);
    expect(rows).toEqual([{ value: String(expected) }]);
  });

  for (const victim of [0, 1] as const) {
    const survivor = victim === 0 ? 1 : 0;
    it(`SIGKILL of node ${victim + 1} while both nodes take writes loses no acked write`, async () => {
      const doc = `items-${RUN}-kill${victim + 1}`;
      const onVictim = await clientOf(node(victim).url);
      const onSurvivor = await clientOf(node(survivor).url);
      await onVictim.subscribe(doc, AWSet);
      await onSurvivor.subscribe(doc, AWSet);

      const acked = new Set<string>();
      const ackedVia = [0, 0];
      const pending: Promise<void>[] = [];
      let sent = 0;
      const push = (c: ProtocolClient, via: 0 | 1) => {
        const item = `n${via + 1}-${sent++}`;
        pending.push(
          c
            .write(doc, (s, me) => AWSet.add(s, me, item))
            .then(
              () => {
                acked.add(item);
                ackedVia[via]!++;
              },
              () => {},
            ),
        );
      };

      // Both clients stream without waiting for acks; the victim dies mid-stream.
      const killAfterMs = 150 + Math.random() * 150;
      const started = Date.now();
      while (Date.now() - started < killAfterMs) {
        for (let i = 0; i < 3; i++) {
          push(onVictim, victim);
          push(onSurvivor, survivor);
        }
        await sleep(2);
      }
      await node(victim).stop('SIGKILL');
      nodes[victim] = undefined;
      // The survivor keeps serving the region.
      for (let i = 0; i < 50; i++) {
        push(onSurvivor, survivor);
        if (i % 10 === 0) await sleep(1);
      }
      onVictim.close();
      await Promise.allSettled(pending.map((p) => Promise.race([p, sleep(2_000)])));

      const viaSurvivor = await freshItems(node(survivor).url, doc);
      const lostOnSurvivor = [...acked].filter((item) => !viaSurvivor.has(item));

      await startNode(victim);
      const viaRestarted = await freshItems(node(victim).url, doc);
      const lostOnRestarted = [...acked].filter((item) => !viaRestarted.has(item));

      console.log(
        `multi-node: SIGKILL node ${victim + 1} after ${Math.round(killAfterMs)} ms — ` +
          `${sent} pushes sent, ${acked.size} acked (node 1: ${ackedVia[0]}, node 2: ${ackedVia[1]}); ` +
          `via node ${survivor + 1}: ${viaSurvivor.size} present, ${lostOnSurvivor.length} acked lost; ` +
          `via restarted node ${victim + 1}: ${viaRestarted.size} present, ${lostOnRestarted.length} acked lost`,
      );
      // Both nodes took acked writes, so the check covers each node's commits.
      expect(ackedVia[victim]).toBeGreaterThan(0);
      expect(ackedVia[survivor]).toBeGreaterThan(50);
      expect(lostOnSurvivor).toEqual([]);
      expect(lostOnRestarted).toEqual([]);
      // Both nodes serve the same durable state, and SQL reads it (written by both nodes, each
      // committing while the other's changes reached it late).
      expect([...viaRestarted].sort()).toEqual([...viaSurvivor].sort());
      const { rows } = await pool!.query(
        `SELECT value FROM "${schema}".document_values WHERE doc = $1`,
        [doc],
      );
      expect(rows[0]?.value).toEqual([...viaSurvivor].sort());
    });
  }
});
