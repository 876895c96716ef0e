import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { AWSet } from '@helios/core';
import type { FeedBatch, FeedState, Message } from '@helios/core/protocol';
import { freePort } from '@helios/test-kit';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { PeerConfig } from './options.js';
import { createRelay, type Relay } from './relay.js';
import { MemoryStore } from './store/memory-store.js';
import { PostgresStore } from './store/postgres-store.js';
import { SqliteStore } from './store/sqlite-store.js';
import { proxiedLink } from './test-support/mesh-links.js';
import { PEER_TRANSPORTS, type PeerTransportName } from './test-support/peer-transports.js';
import { connectTestPostgres, TEST_PG_URL, uniqueSchema } from './test-support/postgres.js';
import { ProtocolClient } from './test-support/protocol-client.js';
import { checkTestRedis, TEST_REDIS_URL } from './test-support/redis.js';
import { tempDir } from './test-support/temp-dir.js';

const open: { close(): unknown }[] = [];
afterEach(async () => {
  for (const c of open.splice(0).reverse()) await c.close();
});

/** Messages small enough that a backfill of these documents takes several pages. */
const LIMITS = { maxMessageBytes: 4096 };

async function startRelay(
  peerTransport: PeerTransportName,
  region: string,
  path: string,
  port: number,
  peers: readonly { region: string; port: number; latencyMs?: number }[],
): Promise<{ relay: Relay; store: SqliteStore; url: string }> {
  const store = await SqliteStore.open({ path, region, synchronous: 'normal' });
  const relay = createRelay({
    region,
    store,
    anonymous: true,
    logger: pino({ level: 'silent' }),
    peerTransport,
    snapshotEvery: 3,
    limits: LIMITS,
    peers: peers.map(
      (p): PeerConfig => ({
        region: p.region,
        url: `http://127.0.0.1:${p.port}`,
        ...(p.latencyMs !== undefined ? { latencyMs: p.latencyMs } : {}),
      }),
    ),
  });
  open.push(relay);
  const { url } = await relay.listen(port);
  return { relay, store, url };
}

async function clientOf(url: string): Promise<ProtocolClient> {
  const c = new ProtocolClient(url);
  open.push(c);
  await c.ready();
  return c;
}

/** Polls an async condition, for at most `timeoutMs`. */
async function until(check: () => Promise<boolean>, what: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not reached within ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const DOCS = Array.from({ length: 24 }, (_, i) => `doc-${i}`);

/** Adds `count` items named `${prefix}-${doc}-${i}` to every document, each acked. */
async function writeItems(c: ProtocolClient, prefix: string, count: number): Promise<string[]> {
  const acked: string[] = [];
  for (const doc of DOCS) {
    for (let i = 0; i < count; i++) {
      const item = `${prefix}-${doc}-${i}`;
      await c.write(doc, (s, me) => AWSet.add(s, me, item));
      acked.push(item);
    }
  }
  return acked;
}

/**
 * Adds `live-0`, `live-1`, … round-robin over the documents, one acked write after the other,
 * until `stop()`, which resolves with the acknowledged items.
 */
function keepWriting(c: ProtocolClient): { stop(): Promise<string[]> } {
  const acked: string[] = [];
  let writing = true;
  const done = (async () => {
    for (let i = 0; writing; i++) {
      const item = `live-${i}`;
      await c.write(DOCS[i % DOCS.length]!, (s, me) => AWSet.add(s, me, item));
      acked.push(item);
    }
  })();
  return {
    async stop() {
      writing = false;
      await done;
      return acked;
    },
  };
}

/** A client that has just subscribed to every document: it shows the relay's own state. */
async function freshView(url: string): Promise<Set<string>> {
  const c = await clientOf(url);
  const items = new Set<string>();
  for (const doc of DOCS) {
    await c.subscribe(doc, AWSet);
    for (const item of c.value(doc) as Set<string>) items.add(item);
  }
  c.close();
  return items;
}

async function subscribedTo(url: string): Promise<ProtocolClient> {
  const c = await clientOf(url);
  for (const doc of DOCS) await c.subscribe(doc, AWSet);
  return c;
}

const missing = (acked: readonly string[], held: ReadonlySet<string>) =>
  acked.filter((item) => !held.has(item));

function itemsOf(c: ProtocolClient): Set<string> {
  const items = new Set<string>();
  for (const doc of DOCS) for (const item of c.value(doc) as Set<string>) items.add(item);
  return items;
}

/** Waits until the store has released feed entries and compacted them away. */
async function feedCompacted(store: SqliteStore | PostgresStore, written: number): Promise<void> {
  await until(
    async () =>
      (await store.feedStart()) > 0 && (await store.readFeed(0, 100_000)).length < written / 2,
    'the feed released and compacted',
  );
}

/**
 * Region A alone (no peers: it releases its feed at once) writes to every document until
 * snapshots have compacted its feed away; returns the acknowledged items.
 */
async function historyInSnapshotsOnly(path: string, port: number): Promise<string[]> {
  const alone = await startRelay('ws', 'a', path, port, []); // no peers: no transport used
  const acked = await writeItems(await subscribedTo(alone.url), 'a', 6);
  await feedCompacted(alone.store, acked.length);
  await alone.relay.close();
  return acked;
}

describe.each(PEER_TRANSPORTS)(
  'backfill of a peer whose cursor is below the retained feed, over %s',
  (peerTransport) => {
    it('a new region with an empty store receives every document’s whole history', async () => {
      const dir = await tempDir('helios-backfill-');
      open.push({ close: () => dir.remove() });
      const [portA, portC] = [await freePort(), await freePort()];

      const acked = await historyInSnapshotsOnly(join(dir.path, 'a.db'), portA);

      // Region C joins: A now peers with C, and C starts with an empty store.
      const a = await startRelay(peerTransport, 'a', join(dir.path, 'a.db'), portA, [
        { region: 'c', port: portC },
      ]);
      // Writes keep coming while C backfills: those made after a document's page was read reach C
      // through the feed after the backfill's position.
      const live = await subscribedTo(a.url);
      const liveWriter = keepWriting(live);
      const c = await startRelay(peerTransport, 'c', join(dir.path, 'c.db'), portC, [
        { region: 'a', port: portA },
      ]);
      const watcher = await subscribedTo(c.url);
      await until(
        async () => missing(acked, itemsOf(watcher)).length === 0,
        'C holds all of A’s history',
      );
      const liveAcked = await liveWriter.stop();
      expect(liveAcked.length).toBeGreaterThan(0);
      await until(
        async () => missing(liveAcked, itemsOf(watcher)).length === 0,
        'C holds the writes made during its backfill',
      );
      expect(missing([...acked, ...liveAcked], await freshView(c.url))).toEqual([]);

      // The backfill ended in the live feed, both ways: new writes reach the other region.
      const writer = await subscribedTo(c.url);
      await writer.write('doc-3', (s, me) => AWSet.add(s, me, 'from-c'));
      const atA = await subscribedTo(a.url);
      await until(async () => itemsOf(atA).has('from-c'), 'A has C’s write');
      const aWriter = await subscribedTo(a.url);
      await aWriter.write('doc-4', (s, me) => AWSet.add(s, me, 'from-a-after'));
      await until(async () => itemsOf(watcher).has('from-a-after'), 'C has A’s new write');
    });

    it('a backfill cut off between pages starts over from the durable cursor and completes', async () => {
      const dir = await tempDir('helios-backfill-cut-');
      open.push({ close: () => dir.remove() });
      const [portA, portC] = [await freePort(), await freePort()];
      const acked = await historyInSnapshotsOnly(join(dir.path, 'a.db'), portA);

      const a = await startRelay(peerTransport, 'a', join(dir.path, 'a.db'), portA, [
        { region: 'c', port: portC },
      ]);
      const proxy = await proxiedLink(portA, peerTransport, (p) => open.push(p));
      // A slow link, so that the pages (round trips) are far apart.
      const c = await startRelay(peerTransport, 'c', join(dir.path, 'c.db'), portC, [
        { region: 'a', port: proxy.port, latencyMs: 100 },
      ]);
      await until(async () => (await c.store.documents('', 100)).length > 0, 'a first page merged');
      proxy.cut();
      const merged = (await c.store.documents('', 100)).length;
      expect(merged).toBeLessThan(DOCS.length);
      // Pages before the last one commit no cursor (named by A's region and store epoch).
      expect(await c.store.getCursor(`a@${a.store.epoch}`)).toBe(0);
      // Over WebSocket the cut ends the connection and the link starts over from its cursor. Over
      // QUIC a blackout this short ends nothing (the idle timeout is 10 s): the lost packets are
      // sent again after the heal and the backfill goes on. Either way it must complete.
      await new Promise((r) => setTimeout(r, 300));
      proxy.heal();
      const watcher = await subscribedTo(c.url);
      await until(
        async () => missing(acked, itemsOf(watcher)).length === 0,
        'C holds all of A’s history after the cut',
      );
      expect(missing(acked, await freshView(c.url))).toEqual([]);
    });

    it('a region whose store was lost gets all history back, and its new writes replicate', async () => {
      const dir = await tempDir('helios-disk-loss-');
      open.push({ close: () => dir.remove() });
      const [portA, portB] = [await freePort(), await freePort()];
      const pathB = join(dir.path, 'b.db');
      const a = await startRelay(peerTransport, 'a', join(dir.path, 'a.db'), portA, [
        { region: 'b', port: portB },
      ]);
      const b = await startRelay(peerTransport, 'b', pathB, portB, [{ region: 'a', port: portA }]);

      const ackedA = await writeItems(await subscribedTo(a.url), 'a', 3);
      // B writes more than it will after the loss: a cursor left at B's old position would skip
      // every one of its new writes.
      const ackedB = await writeItems(await subscribedTo(b.url), 'b', 3);
      const all = [...ackedA, ...ackedB];
      const watchA = await subscribedTo(a.url);
      await until(async () => missing(all, itemsOf(watchA)).length === 0, 'A has every write');
      await feedCompacted(a.store, ackedA.length);

      // B's disk is lost: B restarts, on the same address, with an empty store.
      await b.relay.close();
      await rm(pathB);
      await rm(`${pathB}-wal`, { force: true });
      await rm(`${pathB}-shm`, { force: true });
      const reborn = await startRelay(peerTransport, 'b', pathB, portB, [
        { region: 'a', port: portA },
      ]);
      const watchB = await subscribedTo(reborn.url);
      await until(
        async () => missing(all, itemsOf(watchB)).length === 0,
        'the reborn B has every acked write, its own old ones included',
      );

      const writer = await subscribedTo(reborn.url);
      const fresh = ['b-new-0', 'b-new-1', 'b-new-2'];
      for (const item of fresh) await writer.write('doc-0', (s, me) => AWSet.add(s, me, item));
      await until(async () => missing(fresh, itemsOf(watchA)).length === 0, 'A has B’s new writes');

      const everything = [...all, ...fresh];
      expect(missing(everything, await freshView(a.url))).toEqual([]);
      expect(missing(everything, await freshView(reborn.url))).toEqual([]);
    });

    it('a multi-node region backfills from one node while its other node takes writes', async () => {
      const pool = await connectTestPostgres();
      await checkTestRedis();
      const schema = uniqueSchema();
      const deployment = `backfill-${randomBytes(4).toString('hex')}`;
      open.push({
        close: async () => {
          await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
          await pool.end();
        },
      });
      const dir = await tempDir('helios-backfill-nodes-');
      open.push({ close: () => dir.remove() });
      const [port1, port2, portC] = [await freePort(), await freePort(), await freePort()];
      /** A node of region A: Postgres shared by the nodes, Redis between them. */
      const startNode = async (port: number, peers: PeerConfig[]) => {
        const store = await PostgresStore.open({
          connectionString: TEST_PG_URL,
          region: 'a',
          schema,
        });
        const relay = createRelay({
          region: 'a',
          store,
          redisUrl: TEST_REDIS_URL,
          deployment,
          anonymous: true,
          logger: pino({ level: 'silent' }),
          peerTransport,
          snapshotEvery: 3,
          limits: LIMITS,
          peers,
        });
        open.push(relay);
        const { url } = await relay.listen(port);
        return { relay, store, url };
      };

      // Region A alone, two nodes: each takes half of the history, and the feed is released.
      const alone = [await startNode(port1, []), await startNode(port2, [])];
      const acked = [
        ...(await writeItems(await subscribedTo(alone[0]!.url), 'n1', 2)),
        ...(await writeItems(await subscribedTo(alone[1]!.url), 'n2', 2)),
      ];
      await feedCompacted(alone[0]!.store, acked.length);
      for (const node of alone) await node.relay.close();

      // C joins and pulls from node 1, while node 2 keeps taking writes.
      const toC: PeerConfig[] = [{ region: 'c', url: `http://127.0.0.1:${portC}` }];
      await startNode(port1, toC);
      const node2 = await startNode(port2, toC);
      const live = await subscribedTo(node2.url);
      const liveWriter = keepWriting(live);
      const c = await startRelay(peerTransport, 'c', join(dir.path, 'c.db'), portC, [
        { region: 'a', port: port1 },
      ]);
      const watcher = await subscribedTo(c.url);
      await until(async () => missing(acked, itemsOf(watcher)).length === 0, 'C has A’s history');
      const liveAcked = await liveWriter.stop();
      await until(
        async () => missing(liveAcked, itemsOf(watcher)).length === 0,
        'C has the writes node 2 took during the backfill',
      );
      expect(missing([...acked, ...liveAcked], await freshView(c.url))).toEqual([]);
    });
  },
);

// Transport-independent: the peers are driven by hand through Socket.IO protocol clients, and
// the relay's own links dial nowhere, so this runs once, over WebSocket.
describe('the feed a backfilling peer needs', () => {
  it('is not released while that peer catches up, though it acknowledged more before', async () => {
    const store = new MemoryStore({ region: 'a' });
    const dead = `http://127.0.0.1:${await freePort()}`;
    const relay = createRelay({
      region: 'a',
      store,
      anonymous: true,
      logger: pino({ level: 'silent' }),
      snapshotEvery: 1,
      peers: [
        { region: 'b', url: dead },
        { region: 'c', url: dead },
      ],
    });
    open.push(relay);
    const { url } = await relay.listen(0);
    const writer = await subscribedTo(url);
    const write = (item: string) => writer.write('doc-0', (s, me) => AWSet.add(s, me, item));
    for (let i = 0; i < 5; i++) await write(`x${i}`);

    // Two peers pull the feed by hand: c merges 2 entries, b all 5.
    const peer = async (region: string) => {
      const p = new ProtocolClient(url, { peer: region });
      open.push(p);
      await p.ready();
      p.send({ kind: 'feed-request', after: 0 });
      const batch = await p.waitFor((m): m is FeedBatch => m.kind === 'feed-batch');
      expect(batch.after).toBe(0); // the request's position
      return { p, seqs: batch.entries.map((e) => e.seq) };
    };
    const b = await peer('b');
    const c = await peer('c');
    expect(b.seqs).toHaveLength(5);
    c.p.send({ kind: 'feed-ack', upTo: c.seqs[1]! });
    b.p.send({ kind: 'feed-ack', upTo: b.seqs[4]! });
    const low = c.seqs[1]!;
    await until(async () => (await store.feedStart()) === low, 'released up to what c has');

    // b lost its store: it asks from 0 and is sent the states up to `low`.
    const before = b.p.received.length;
    b.p.send({ kind: 'feed-request', after: 0 });
    const page = await b.p.waitFor(
      (m: Message): m is FeedState => m.kind === 'feed-state' && b.p.received.indexOf(m) >= before,
    );
    expect(page.upTo).toBe(low);
    expect(page.next).toBeUndefined();
    // c catches up. b's old acknowledgement would now let the feed go up to seq 5, which b needs.
    c.p.send({ kind: 'feed-ack', upTo: c.seqs[4]! });
    await write('x5');
    await new Promise((r) => setTimeout(r, 1_500)); // releases run at most once a second
    expect(await store.feedStart()).toBe(low);

    // b continues from the backfill's position and gets the rest; then the feed may go.
    const rest = b.p.received.length;
    b.p.send({ kind: 'feed-request', after: low });
    const batch = await b.p.waitFor(
      (m: Message): m is FeedBatch => m.kind === 'feed-batch' && b.p.received.indexOf(m) >= rest,
    );
    expect(batch.entries.map((e) => e.seq)).toEqual([...b.seqs.slice(2), batch.entries[3]!.seq]);
    expect(batch.after).toBe(low); // the feed continues from the backfill's position
    b.p.send({ kind: 'feed-ack', upTo: batch.entries[3]!.seq });
    c.p.send({ kind: 'feed-ack', upTo: batch.entries[3]!.seq });
    await until(async () => (await store.feedStart()) > low, 'released once b has caught up');
  });
});
