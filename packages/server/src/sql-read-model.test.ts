import {
  type AnyCrdtState,
  type AnyCrdtType,
  AWSet,
  GCounter,
  LWWMap,
  LWWRegister,
  MVRegister,
  ORSet,
  orMap,
  PNCounter,
  type ReplicaId,
  RWSet,
} from '@helios/core';
import type { Pool } from 'pg';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRelay } from './relay.js';
import { PostgresStore } from './store/postgres-store.js';
import { connectTestPostgres, TEST_PG_URL, uniqueSchema } from './test-support/postgres.js';
import { ProtocolClient } from './test-support/protocol-client.js';

let admin: Pool;
beforeAll(async () => {
  admin = await connectTestPostgres();
});
afterAll(async () => {
  await admin?.end();
});
const open: { close(): unknown }[] = [];
const schemas: string[] = [];
afterEach(async () => {
  for (const c of open.splice(0).reverse()) await c.close();
  for (const schema of schemas.splice(0)) await admin.query(`DROP SCHEMA "${schema}" CASCADE`);
});

async function startRelay(): Promise<{ url: string; schema: string }> {
  const schema = uniqueSchema();
  schemas.push(schema);
  const store = await PostgresStore.open({ connectionString: TEST_PG_URL, region: 'eu', schema });
  const relay = createRelay({
    region: 'eu',
    store,
    anonymous: true,
    logger: pino({ level: 'silent' }),
  });
  open.push(store, relay);
  const { url } = await relay.listen(0);
  return { url, schema };
}

async function client(url: string): Promise<ProtocolClient> {
  const c = new ProtocolClient(url);
  open.push(c);
  await c.ready();
  return c;
}

/** An actor with a clock, for the last-writer-wins types. */
function clocked(me: { replica: ReplicaId }) {
  return {
    replica: me.replica,
    now: () => ({ wall: Date.now(), counter: 0, replica: me.replica }),
  };
}

type Write = (state: AnyCrdtState, me: { replica: ReplicaId }) => AnyCrdtState;

/** One document of every type, the writes a client makes to it, and the JSON SQL must read. */
const cases: { doc: string; type: AnyCrdtType; writes: Write[]; json: unknown }[] = [
  {
    doc: 'views',
    type: GCounter,
    writes: [(s, me) => GCounter.increment(s, me, 5), (s, me) => GCounter.increment(s, me, 2)],
    json: 7,
  },
  {
    doc: 'likes',
    type: PNCounter,
    writes: [(s, me) => PNCounter.increment(s, me, 3), (s, me) => PNCounter.decrement(s, me, 5)],
    json: -2,
  },
  {
    doc: 'title',
    type: LWWRegister,
    writes: [(s, me) => LWWRegister.set(s, clocked(me), { text: 'Hello', n: 1.5 })],
    json: { text: 'Hello', n: 1.5 },
  },
  {
    doc: 'note',
    type: MVRegister,
    writes: [(s, me) => MVRegister.set(s, me, 'gift'), (s, me) => MVRegister.set(s, me, null)],
    json: [null],
  },
  {
    doc: 'settings',
    type: LWWMap,
    writes: [
      (s, me) => LWWMap.set(s, clocked(me), 'theme', 'dark'),
      (s, me) => LWWMap.set(s, clocked(me), 'fontSize', 14),
      (s, me) => LWWMap.set(s, clocked(me), 'gone', true),
      (s, me) => LWWMap.remove(s, me, 'gone'),
    ],
    json: { theme: 'dark', fontSize: 14 },
  },
  {
    doc: 'tags',
    type: ORSet,
    writes: [(s, me) => ORSet.add(s, me, 'b').delta, (s, me) => ORSet.add(s, me, 'a').delta],
    json: ['a', 'b'],
  },
  {
    doc: 'wishlist',
    type: AWSet,
    writes: [
      (s, me) => AWSet.add(s, me, 'sku-2'),
      (s, me) => AWSet.add(s, me, 7),
      (s, me) => AWSet.add(s, me, 'sku-1'),
      (s, me) => AWSet.remove(s, me, 'sku-2'),
    ],
    json: [7, 'sku-1'],
  },
  {
    doc: 'banned',
    type: RWSet,
    writes: [(s, me) => RWSet.add(s, me, 'x'), (s, me) => RWSet.add(s, me, 'y')],
    json: ['x', 'y'],
  },
  {
    doc: 'cart',
    type: orMap(PNCounter),
    writes: [
      (s, me) => orMap(PNCounter).update(s, 'beans', (l) => PNCounter.increment(l, me, 2)),
      (s, me) => orMap(PNCounter).update(s, 'mug', (l) => PNCounter.increment(l, me, 1)),
    ],
    json: { beans: 2, mug: 1 },
  },
  {
    doc: 'shelves',
    type: orMap(AWSet),
    writes: [(s, me) => orMap(AWSet).update(s, 'top', (set) => AWSet.add(set, me, 'vase'))],
    json: { top: ['vase'] },
  },
];

describe('SQL read model: client writes, SQL reads', () => {
  it('every type: document_values holds the replicated value, in the same commit as the change', async () => {
    const { url, schema } = await startRelay();
    const writer = await client(url);
    for (const { doc, type, writes, json } of cases) {
      await writer.subscribe(doc, type);
      for (const write of writes) await writer.write(doc, write);
      // The ack follows the commit, and the commit wrote the value: no waiting.
      const { rows } = await admin.query(
        `SELECT type, value FROM "${schema}".document_values WHERE doc = $1`,
        [doc],
      );
      expect(rows, doc).toEqual([{ type: type.name, value: json }]);
      const entry = writer.docs.get(doc)!;
      expect(entry.type.toJson(entry.state)).toEqual(json);
    }
  });

  it('views: counters as bigint, map entries and set elements as rows', async () => {
    const { url, schema } = await startRelay();
    const writer = await client(url);
    for (const { doc, type, writes } of cases) {
      await writer.subscribe(doc, type);
      for (const write of writes) await writer.write(doc, write);
    }
    const counters = await admin.query(`SELECT doc, value FROM "${schema}".counters ORDER BY doc`);
    expect(counters.rows).toEqual([
      { doc: 'likes', value: '-2' }, // bigint: pg returns it as a string
      { doc: 'views', value: '7' },
    ]);
    const entries = await admin.query(
      `SELECT doc, key, value FROM "${schema}".map_entries ORDER BY doc, key`,
    );
    expect(entries.rows).toEqual([
      { doc: 'cart', key: 'beans', value: 2 },
      { doc: 'cart', key: 'mug', value: 1 },
      { doc: 'settings', key: 'fontSize', value: 14 },
      { doc: 'settings', key: 'theme', value: 'dark' },
      { doc: 'shelves', key: 'top', value: ['vase'] },
    ]);
    const elements = await admin.query(
      `SELECT doc, element FROM "${schema}".set_elements ORDER BY doc, element`,
    );
    expect(elements.rows).toEqual([
      { doc: 'banned', element: 'x' },
      { doc: 'banned', element: 'y' },
      { doc: 'tags', element: 'a' },
      { doc: 'tags', element: 'b' },
      { doc: 'wishlist', element: 'sku-1' }, // jsonb orders strings before numbers
      { doc: 'wishlist', element: 7 },
    ]);
  });
});
