import { isDeepStrictEqual } from 'node:util';
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
import { freePort } from '@helios/test-kit';
import { Pool } from 'pg';
import { describe, expect, it } from 'vitest';
import { TEST_PG_URL, uniqueSchema } from './test-support/postgres.js';
import { eventually, type ProtocolClient } from './test-support/protocol-client.js';
import { RelayProcess } from './test-support/relay-process.js';
import { clocked, SqlFixtures } from './test-support/sql-fixtures.js';

const fx = new SqlFixtures();

/** Polls a query until it returns `rows` (or fails the test after 5 s). */
async function waitForSql(query: string, rows: unknown[]): Promise<void> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const result = await fx.admin.query(query);
    if (isDeepStrictEqual(result.rows, rows) || Date.now() > deadline) {
      expect(result.rows).toEqual(rows);
      return;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

type Write = (state: AnyCrdtState, me: { replica: ReplicaId }) => AnyCrdtState;
const Cart = orMap(PNCounter);
const Notes = orMap(MVRegister);

/** Per type: a client write that creates the document, SQL calls, and the value they make. */
const cases: { doc: string; type: AnyCrdtType; create: Write; sql: string[]; json: unknown }[] = [
  {
    doc: 'views',
    type: GCounter,
    create: (s, me) => GCounter.increment(s, me, 1),
    sql: ["increment('views', 41)"],
    json: 42,
  },
  {
    doc: 'likes',
    type: PNCounter,
    create: (s, me) => PNCounter.increment(s, me, 1),
    sql: ["increment('likes')", "decrement('likes', 5)"],
    json: -3,
  },
  {
    doc: 'title',
    type: LWWRegister,
    create: (s, me) => LWWRegister.set(s, clocked(me), 'draft'),
    sql: [`set('title', '{"text": "Final", "bytes": {"$bytes": "AQI="}}')`],
    json: { text: 'Final', bytes: { $bytes: 'AQI=' } },
  },
  {
    doc: 'note',
    type: MVRegister,
    create: (s, me) => MVRegister.set(s, me, 'a'),
    sql: ["set('note', '\"b\"')"],
    json: ['b'],
  },
  {
    doc: 'settings',
    type: LWWMap,
    create: (s, me) => LWWMap.set(s, clocked(me), 'theme', 'light'),
    sql: ["set('settings', 'theme', '\"dark\"')", "set('settings', 'size', '14')"],
    json: { theme: 'dark', size: 14 },
  },
  {
    doc: 'tags',
    type: ORSet,
    create: (s, me) => ORSet.add(s, me, 'old').delta,
    sql: ["add('tags', 'new')", "remove('tags', 'old')"],
    json: ['new'],
  },
  {
    doc: 'wishlist',
    type: AWSet,
    create: (s, me) => AWSet.add(s, me, 'sku-1'),
    sql: [
      "add('wishlist', to_jsonb(7))",
      "add('wishlist', 'sku-2')",
      "remove('wishlist', 'sku-1')",
    ],
    json: [7, 'sku-2'],
  },
  {
    doc: 'banned',
    type: RWSet,
    create: (s, me) => RWSet.add(s, me, 'x'),
    sql: ["remove('banned', 'x')", "add('banned', 'y')"],
    json: ['y'],
  },
  {
    doc: 'cart',
    type: Cart,
    create: (s, me) => Cart.update(s, 'beans', (l) => PNCounter.increment(l, me, 1)),
    sql: ["increment('cart', 'beans', 2)", "increment('cart', 'mug', 1)"],
    json: { beans: 3, mug: 1 },
  },
  {
    doc: 'notes',
    type: Notes,
    create: (s, me) => Notes.update(s, 'a', (r) => MVRegister.set(r, me, 1)),
    sql: ["set('notes', 'b', '2')", "remove('notes', 'a')"],
    json: { b: [2] },
  },
];

describe('SQL writes: SQL writes, clients read', () => {
  it('every type: the relay applies the call, clients get it live, and SQL reads it back', async () => {
    const { url, schema } = await fx.startRelay();
    const writer = await fx.client(url);
    const reader = await fx.client(url);
    for (const { doc, type, create, sql, json } of cases) {
      await writer.subscribe(doc, type);
      await writer.write(doc, create);
      await reader.subscribe(doc, type);
      for (const call of sql) await fx.admin.query(`SELECT "${schema}".${call}`);
      const entry = reader.docs.get(doc)!;
      await eventually(
        () => isDeepStrictEqual(entry.type.toJson(entry.state), json),
        `${doc} reaches ${JSON.stringify(json)}`,
        5_000,
      );
      const { rows } = await fx.admin.query(
        `SELECT value FROM "${schema}".document_values WHERE doc = $1`,
        [doc],
      );
      expect(rows[0]?.value, doc).toEqual(json);
    }
    const { rows } = await fx.admin.query(`SELECT count(*)::int AS n FROM "${schema}".sql_writes`);
    expect(rows[0].n).toBe(0);
    const status = await fx.admin.query(`SELECT "${schema}".write_status(1) AS s`);
    expect(status.rows[0].s).toBe('applied');
  });

  it('SQL increments concurrent with client increments sum exactly', async () => {
    const { url, schema } = await fx.startRelay();
    const a = await fx.client(url);
    const b = await fx.client(url);
    await a.subscribe('likes', PNCounter);
    await b.subscribe('likes', PNCounter);
    await a.write('likes', (s, me) => PNCounter.increment(s, me, 1));
    const sqlPool = new Pool({ connectionString: TEST_PG_URL, max: 4 });
    fx.track({ close: () => sqlPool.end() });
    const clientWrites = async (c: ProtocolClient) => {
      for (let i = 0; i < 60; i++) await c.write('likes', (s, me) => PNCounter.increment(s, me, 1));
    };
    const sqlWrites = async () => {
      for (let i = 0; i < 40; i++) await sqlPool.query(`SELECT "${schema}".increment('likes', 2)`);
    };
    await Promise.all([clientWrites(a), clientWrites(b), sqlWrites(), sqlWrites(), sqlWrites()]);
    const total = 1 + 2 * 60 + 3 * 40 * 2;
    await eventually(
      () => a.value('likes') === total && b.value('likes') === total,
      `${total}`,
      10_000,
    );
    const { rows } = await fx.admin.query(
      `SELECT value FROM "${schema}".counters WHERE doc = 'likes'`,
    );
    expect(rows).toEqual([{ value: String(total) }]);
  });
});

describe('SQL writes: peer regions', () => {
  it('a SQL write reaches a peer region: its clients, and its own read model', async () => {
    const ports = { eu: await freePort(), us: await freePort() };
    const start = (region: 'eu' | 'us', peer: 'eu' | 'us') =>
      fx.startRelay({
        region,
        port: ports[region],
        peers: [{ region: peer, url: `http://127.0.0.1:${ports[peer]}` }],
      });
    const eu = await start('eu', 'us');
    const us = await start('us', 'eu');
    const writer = await fx.client(eu.url);
    await writer.subscribe('likes', PNCounter);
    await writer.write('likes', (s, me) => PNCounter.increment(s, me, 1));
    const reader = await fx.client(us.url);
    await reader.subscribe('likes', PNCounter);
    await eventually(() => reader.value('likes') === 1, 'us has the document', 5_000);

    await fx.admin.query(`SELECT "${eu.schema}".increment('likes', 41)`);
    await eventually(() => reader.value('likes') === 42, 'us sees the SQL write', 5_000);
    await waitForSql(`SELECT value FROM "${us.schema}".counters`, [{ value: '42' }]);
  });
});

describe('SQL writes: bad calls', () => {
  it('raise a SQL error with a clear message and queue nothing', async () => {
    const { url, schema } = await fx.startRelay();
    const writer = await fx.client(url);
    await writer.subscribe('views', GCounter);
    await writer.write('views', (s, me) => GCounter.increment(s, me, 1));
    await writer.subscribe('tags', AWSet);
    await writer.write('tags', (s, me) => AWSet.add(s, me, 'x'));
    const bad: [string, RegExp, string][] = [
      ["increment('nope', 1)", /there is no document 'nope'/, 'P0002'],
      [
        "set('views', '1')",
        /document 'views' is a g-counter, which set does not apply to/,
        '42809',
      ],
      ["add('views', 'x')", /is a g-counter, which add does not apply to/, '42809'],
      [
        "increment('tags', 'k', 1)",
        /is a aw-set, which increment with a key does not apply to/,
        '42809',
      ],
      ["decrement('views', 1)", /-1 is not a step g-counter can take/, '22023'],
      ["increment('views', 0)", /0 is not a step/, '22023'],
      ["increment('views', 9007199254740992)", /not a step/, '22023'],
      ["add('tags', '{\"a\": 1}'::jsonb)", /a string or a number, not object/, '22023'],
      ["set('views', '{bad json')", /invalid input syntax for type json/, '22P02'],
      ["add('tags', NULL::jsonb)", /the value is NULL/, '22004'],
    ];
    for (const [call, message, code] of bad) {
      const err = await fx.admin.query(`SELECT "${schema}".${call}`).catch((e: unknown) => e);
      expect(err, call).toMatchObject({ code, message: expect.stringMatching(message) });
    }
    const { rows } = await fx.admin.query(`SELECT count(*)::int AS n FROM "${schema}".sql_writes`);
    expect(rows[0].n).toBe(0);
  });

  it('a value only the relay can refuse is reported by write_status, and changes nothing', async () => {
    const { url, schema } = await fx.startRelay();
    const writer = await fx.client(url);
    await writer.subscribe('title', LWWRegister);
    await writer.write('title', (s, me) => LWWRegister.set(s, clocked(me), 'kept'));
    const deep = `${'['.repeat(20)}${']'.repeat(20)}`;
    const { rows } = await fx.admin.query(`SELECT "${schema}".set('title', $1::jsonb) AS id`, [
      deep,
    ]);
    const status = async () =>
      (await fx.admin.query(`SELECT "${schema}".write_status($1) AS s`, [rows[0].id])).rows[0].s;
    const deadline = Date.now() + 5_000;
    while ((await status()) === 'pending' && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    expect(await status()).toMatch(/^failed: value nested too deeply/);
    const unknown = await fx.admin.query(`SELECT "${schema}".write_status($1) AS s`, [
      rows[0].id + 1,
    ]);
    expect(unknown.rows[0].s).toBe('unknown');
    const value = await fx.admin.query(
      `SELECT value FROM "${schema}".document_values WHERE doc = 'title'`,
    );
    expect(value.rows[0].value).toBe('kept');
  });
});

describe('SQL writes: durability', () => {
  it('writes queued while no relay runs are applied once one starts', async () => {
    const schema = uniqueSchema();
    const first = await fx.startRelay({ schema });
    const writer = await fx.client(first.url);
    await writer.subscribe('views', GCounter);
    await writer.write('views', (s, me) => GCounter.increment(s, me, 1));
    await first.relay.close();
    for (let i = 0; i < 5; i++) await fx.admin.query(`SELECT "${schema}".increment('views', 10)`);

    const second = await fx.startRelay({ schema });
    const reader = await fx.client(second.url);
    await reader.subscribe('views', GCounter);
    await eventually(() => reader.value('views') === 51, 'views = 51', 5_000);
    // The subscriber may be sent what is merged a moment before it is committed: wait for that.
    await waitForSql(`SELECT value FROM "${schema}".counters`, [{ value: '51' }]);
  });

  it('a relay SIGKILLed while SQL writes pour in applies each exactly once when it restarts', async () => {
    const schema = fx.dropAfter(uniqueSchema());
    const args = ['--region', 'eu', '--port', String(await freePort()), '--pg', TEST_PG_URL];
    args.push('--pg-schema', schema, '--anonymous');
    let relay = await RelayProcess.start(args);
    fx.track({ close: () => relay.stop('SIGKILL') });
    const writer = await fx.client(relay.url);
    await writer.subscribe('views', GCounter);
    await writer.write('views', (s, me) => GCounter.increment(s, me, 1));
    writer.close();

    const sqlPool = new Pool({ connectionString: TEST_PG_URL, max: 4 });
    fx.track({ close: () => sqlPool.end() });
    let done = 0;
    const burst = async () => {
      for (let i = 0; i < 75; i++) {
        await sqlPool.query(`SELECT "${schema}".increment('views', 1)`);
        done++;
      }
    };
    const writing = Promise.all([burst(), burst(), burst(), burst()]);
    while (done < 100) await new Promise((r) => setTimeout(r, 1));
    await relay.stop('SIGKILL');
    await writing;
    const queued = await fx.admin.query(`SELECT count(*)::int AS n FROM "${schema}".sql_writes`);
    console.log(`sql-writes: relay killed after ${done} calls; ${queued.rows[0].n} left queued`);
    expect(queued.rows[0].n).toBeGreaterThan(0); // calls made after the kill, at least

    relay = await RelayProcess.start(args);
    const reader = await fx.client(relay.url);
    await reader.subscribe('views', GCounter);
    await eventually(() => reader.value('views') === 301, 'views = 301', 10_000);
    await waitForSql(`SELECT value FROM "${schema}".counters`, [{ value: '301' }]);
  });
});
