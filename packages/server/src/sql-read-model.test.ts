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
import { describe, expect, it } from 'vitest';
import { clocked, SqlFixtures } from './test-support/sql-fixtures.js';

const fx = new SqlFixtures();

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
    const { url, schema } = await fx.startRelay();
    const writer = await fx.client(url);
    for (const { doc, type, writes, json } of cases) {
      await writer.subscribe(doc, type);
      for (const write of writes) await writer.write(doc, write);
      // The ack follows the commit, and the commit wrote the value: no waiting.
      const { rows } = await fx.admin.query(
        `SELECT type, value FROM "${schema}".document_values WHERE doc = $1`,
        [doc],
      );
      expect(rows, doc).toEqual([{ type: type.name, value: json }]);
      const entry = writer.docs.get(doc)!;
      expect(entry.type.toJson(entry.state)).toEqual(json);
    }
  });

  it('views: counters as bigint, map entries and set elements as rows', async () => {
    const { url, schema } = await fx.startRelay();
    const writer = await fx.client(url);
    for (const { doc, type, writes } of cases) {
      await writer.subscribe(doc, type);
      for (const write of writes) await writer.write(doc, write);
    }
    const counters = await fx.admin.query(
      `SELECT doc, value FROM "${schema}".counters ORDER BY doc`,
    );
    expect(counters.rows).toEqual([
      { doc: 'likes', value: '-2' }, // bigint: pg returns it as a string
      { doc: 'views', value: '7' },
    ]);
    const entries = await fx.admin.query(
      `SELECT doc, key, value FROM "${schema}".map_entries ORDER BY doc, key`,
    );
    expect(entries.rows).toEqual([
      { doc: 'cart', key: 'beans', value: 2 },
      { doc: 'cart', key: 'mug', value: 1 },
      { doc: 'settings', key: 'fontSize', value: 14 },
      { doc: 'settings', key: 'theme', value: 'dark' },
      { doc: 'shelves', key: 'top', value: ['vase'] },
    ]);
    const elements = await fx.admin.query(
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
