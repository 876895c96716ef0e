import { GCounter } from '@helios/core';
import type { Pool } from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectTestPostgres, TEST_PG_URL, uniqueSchema } from '../test-support/postgres.js';
import { StoreError } from './errors.js';
import { SCHEMA_VERSION } from './postgres-schema.js';
import { PostgresStore } from './postgres-store.js';
import type { StoredDocument } from './relay-store.js';

let admin: Pool;
beforeAll(async () => {
  admin = await connectTestPostgres();
});
afterAll(async () => {
  await admin?.end();
});
const opened: PostgresStore[] = [];
const schemas: string[] = [];
afterEach(async () => {
  for (const store of opened.splice(0)) await store.close();
  for (const schema of schemas.splice(0)) await admin.query(`DROP SCHEMA "${schema}" CASCADE`);
});

async function open(schema = uniqueSchema()): Promise<PostgresStore> {
  if (!schemas.includes(schema)) schemas.push(schema);
  const store = await PostgresStore.open({ connectionString: TEST_PG_URL, region: 'eu', schema });
  opened.push(store);
  return store;
}

/** An encoded G-Counter delta of `replica` reaching `total`, its seq-th write. */
function bump(replica: string, seq: number, total: number): Uint8Array {
  const state = GCounter.empty();
  for (let i = 1; i < seq; i++) state.context.add(replica, i);
  return GCounter.encode(GCounter.increment(state, { replica }, total));
}

async function valueRows(schema: string) {
  const { rows } = await admin.query(
    `SELECT doc, type, value FROM "${schema}".document_values ORDER BY doc`,
  );
  return rows;
}

describe('PostgresStore read model', () => {
  it('writes the values a batch carries with its changes, and only those', async () => {
    const store = await open();
    await store.commit({
      changes: [{ doc: 'a', origin: 'eu', delta: bump('r', 1, 2) }],
      values: [{ doc: 'a', type: 'g-counter', json: '2' }],
    });
    await store.commit({ changes: [{ doc: 'b', origin: 'eu', delta: bump('r', 1, 1) }] });
    expect(await valueRows(store.schema)).toEqual([{ doc: 'a', type: 'g-counter', value: 2 }]);
  });

  it('hands a node what it lacks past its basis, in the commit, and writes the value it then computes', async () => {
    const store = await open();
    const [first] = await store.commit({
      changes: [{ doc: 'a', origin: 'eu', delta: bump('r', 1, 2) }],
      values: [{ doc: 'a', type: 'g-counter', json: '2', basis: 0 }],
    });
    // Another node's change; then a commit from a node that has not merged it (basis 1).
    await store.commit({
      changes: [{ doc: 'a', origin: 'eu', delta: bump('s', 1, 5) }],
      values: [{ doc: 'a', type: 'g-counter', json: '7', basis: first! }],
    });
    // That node's state: r's 2 and its own new 1.
    const mine = GCounter.decode(bump('r', 1, 2));
    GCounter.merge(mine, GCounter.decode(bump('t', 1, 1)));
    const handed: StoredDocument[] = [];
    const seqs = await store.commit({
      changes: [
        { doc: 'a', origin: 'eu', delta: bump('t', 1, 1) },
        { doc: 'b', origin: 'eu', delta: bump('t', 1, 4) },
      ],
      values: [
        {
          doc: 'a',
          type: 'g-counter',
          json: String(GCounter.value(mine)),
          basis: first!,
          catchUp: (missed) => {
            handed.push(missed);
            for (const c of missed.changes) GCounter.merge(mine, GCounter.decode(c.delta));
            return String(GCounter.value(mine));
          },
        },
        { doc: 'b', type: 'g-counter', json: '4', basis: 0, catchUp: () => 'null' },
      ],
    });
    expect(seqs).toEqual([3, 4]);
    expect(handed.map((d) => [d.snapshot, d.changes.map((c) => c.seq)])).toEqual([[null, [2]]]);
    expect(await valueRows(store.schema)).toEqual([
      { doc: 'a', type: 'g-counter', value: 8 },
      { doc: 'b', type: 'g-counter', value: 4 },
    ]);
    expect((await store.load('a'))!.changes).toHaveLength(3);
  });

  it("tells each change's prior (its document's change before it) and whether it was redone", async () => {
    const store = await open();
    const change = (doc: string, n: number) => ({ doc, origin: 'eu', delta: bump('r', n, n) });
    const value = (doc: string, basis: number) => ({
      doc,
      type: 'g-counter',
      json: '0',
      basis,
      catchUp: () => '0',
    });
    expect(
      await store.commitShared({ changes: [change('a', 1), change('b', 1), change('a', 2)] }),
    ).toEqual({ seqs: [1, 2, 3], priors: [0, 0, 1], redone: false });
    expect(
      await store.commitShared({ changes: [change('a', 3)], values: [value('a', 3)] }),
    ).toEqual({ seqs: [4], priors: [3], redone: false });
    // Another node's change to a, then a commit from a node that has not merged it (basis 4):
    // redone under the lock, the priors are still the documents' true predecessors.
    await store.commitShared({ changes: [change('a', 4)], values: [value('a', 4)] });
    expect(
      await store.commitShared({
        changes: [change('b', 2), change('a', 5)],
        values: [value('b', 2), value('a', 4)],
      }),
    ).toEqual({ seqs: [6, 7], priors: [2, 5], redone: true });
    expect(await store.commitShared({ changes: [] })).toEqual({
      seqs: [],
      priors: [],
      redone: false,
    });
  });

  it('reads every document a commit lacks changes of at once, past a snapshot too', async () => {
    const store = await open();
    // This node's view: seq 1 of a, seq 2 of b. Then another node's changes to both, and a
    // snapshot of b past this node's basis (it covers seq 4 and replaces it).
    await store.commit({ changes: [{ doc: 'a', origin: 'eu', delta: bump('r', 1, 1) }] });
    await store.commit({ changes: [{ doc: 'b', origin: 'eu', delta: bump('r', 2, 2) }] });
    await store.commit({
      changes: [
        { doc: 'a', origin: 'eu', delta: bump('s', 1, 3) },
        { doc: 'b', origin: 'eu', delta: bump('s', 2, 4) },
        { doc: 'a', origin: 'eu', delta: bump('s', 3, 5) },
      ],
    });
    const snapshot = GCounter.decode(bump('r', 2, 2));
    GCounter.merge(snapshot, GCounter.decode(bump('s', 2, 4)));
    await store.saveSnapshot('b', GCounter.encode(snapshot), 4);
    const handed = new Map<string, StoredDocument>();
    const value = (doc: string, basis: number) => ({
      doc,
      type: 'g-counter',
      json: '"stale"',
      basis,
      catchUp: (missed: StoredDocument) => {
        handed.set(doc, missed);
        return '"caught up"';
      },
    });
    await store.commit({
      changes: [
        { doc: 'a', origin: 'eu', delta: bump('t', 1, 1) },
        { doc: 'b', origin: 'eu', delta: bump('t', 2, 1) },
      ],
      values: [value('a', 1), value('b', 2)],
    });
    expect(handed.get('a')).toMatchObject({ snapshot: null, snapshotSeq: 0 });
    expect(handed.get('a')!.changes.map((c) => c.seq)).toEqual([3, 5]);
    expect(handed.get('b')).toMatchObject({ snapshotSeq: 4, changes: [] });
    expect(GCounter.value(GCounter.decode(handed.get('b')!.snapshot!))).toBe(6);
    expect((await valueRows(store.schema)).map((r) => r.value)).toEqual(['caught up', 'caught up']);
  });

  it('upgrading a version 1 schema writes the value of every stored document', async () => {
    const store = await open();
    const { schema } = store;
    await store.commit({
      changes: [
        { doc: 'a', origin: 'eu', delta: bump('r', 1, 2) },
        { doc: 'b', origin: 'eu', delta: bump('r', 1, 4) },
        { doc: 'a', origin: 'us', delta: bump('s', 1, 3) },
      ],
    });
    await store.saveSnapshot('b', bump('r', 1, 4), 2);
    await store.close();
    // What version 1 had: no read model, no version key.
    await admin.query(`DROP TABLE "${schema}".document_values CASCADE`);
    await admin.query(`DELETE FROM "${schema}".meta WHERE key = 'version'`);

    await open(schema);
    expect(await valueRows(schema)).toEqual([
      { doc: 'a', type: 'g-counter', value: 5 },
      { doc: 'b', type: 'g-counter', value: 4 },
    ]);
    const { rows } = await admin.query(`SELECT value FROM "${schema}".meta WHERE key = 'version'`);
    expect(rows).toEqual([{ value: String(SCHEMA_VERSION) }]);
  });

  it('refuses a schema written by a newer relay', async () => {
    const store = await open();
    await admin.query(`UPDATE "${store.schema}".meta SET value = '99' WHERE key = 'version'`);
    const refused = await open(store.schema).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(StoreError);
    expect((refused as StoreError).code).toBe('schema-version');
  });
});

describe('PostgresStore SQL write requests', () => {
  it('a commit applying a request another commit applied writes nothing', async () => {
    const store = await open();
    await store.commit({
      changes: [{ doc: 'a', origin: 'eu', delta: bump('r', 1, 1) }],
      values: [{ doc: 'a', type: 'g-counter', json: '1' }],
    });
    const { rows } = await admin.query(`SELECT "${store.schema}".increment('a', 5) AS id`);
    const id = Number(rows[0].id);
    const apply = (replica: string) =>
      store.commit({
        changes: [{ doc: 'a', origin: 'eu', delta: bump(replica, 1, 5) }],
        values: [{ doc: 'a', type: 'g-counter', json: '6' }],
        requests: [id],
      });
    expect(await apply('sql1')).toEqual([2]);
    const refused = await apply('sql2').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(StoreError);
    expect((refused as StoreError).code).toBe('already-applied');
    expect((await store.load('a'))!.changes.map((c) => c.seq)).toEqual([1, 2]);
    const status = await admin.query(`SELECT "${store.schema}".write_status($1) AS s`, [id]);
    expect(status.rows[0].s).toBe('applied');
  });
});
