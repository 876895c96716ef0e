import type { Pool } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectTestPostgres, TEST_PG_URL, uniqueSchema } from '../test-support/postgres.js';
import { describeRelayStoreConformance } from '../test-support/store-conformance.js';
import { StoreError } from './errors.js';
import { PostgresStore } from './postgres-store.js';

let admin: Pool;
beforeAll(async () => {
  admin = await connectTestPostgres();
});
afterAll(async () => {
  await admin?.end();
});

/** Opens stores on a fresh schema; `drop` closes them all and drops the schema. */
function schemaScope(region: string) {
  const schema = uniqueSchema();
  const opened: PostgresStore[] = [];
  return {
    schema,
    open: async (as = region) => {
      const store = await PostgresStore.open({ connectionString: TEST_PG_URL, region: as, schema });
      opened.push(store);
      return store;
    },
    drop: async () => {
      for (const store of opened) await store.close();
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    },
  };
}

describeRelayStoreConformance(
  'PostgresStore',
  async (region) => {
    const scope = schemaScope(region);
    return { store: await scope.open(), reopen: () => scope.open(), cleanup: scope.drop };
  },
  { persistent: true },
);

describe('PostgresStore shared by several nodes of one region', () => {
  it('commits from concurrent nodes get distinct seqs and the feed never gains a gap later', async () => {
    const scope = schemaScope('eu');
    try {
      // Opening at once also exercises the schema creation race.
      const nodes = await Promise.all([scope.open(), scope.open(), scope.open()]);
      const reader = nodes[0]!;
      const seen: number[] = [];
      let writing = true;
      const tail = (async () => {
        let after = 0;
        for (;;) {
          const done = !writing;
          const page = await reader.readFeed(after, 500);
          if (page.length === 0) {
            if (done) break;
            continue;
          }
          for (const change of page) seen.push(change.seq);
          after = page.at(-1)!.seq;
        }
      })();
      const written = await Promise.all(
        nodes.map(async (node, n) => {
          const seqs: number[] = [];
          for (let i = 0; i < 40; i++) {
            const batch = Array.from({ length: 1 + ((i + n) % 5) }, (_, j) => ({
              doc: `doc${j}`,
              origin: 'eu',
              delta: Uint8Array.of(n, i, j),
            }));
            seqs.push(...(await node.commit({ changes: batch })));
          }
          return seqs;
        }),
      );
      writing = false;
      await tail;
      const all = written.flat().sort((a, b) => a - b);
      expect(new Set(all).size).toBe(all.length);
      // Seqs come from the head row only: no holes at all.
      expect(all).toEqual(Array.from({ length: all.length }, (_, i) => i + 1));
      // A reader that only ever asked for "after the last seq I saw" missed nothing.
      expect(seen).toEqual(all);
      for (const node of nodes)
        expect(await node.lastSeq('doc0')).toBe(await reader.lastSeq('doc0'));
    } finally {
      await scope.drop();
    }
  });

  it('refuses a schema of another region and leaves a borrowed pool open', async () => {
    const scope = schemaScope('eu');
    try {
      await scope.open();
      const refused = await scope.open('us').catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(StoreError);
      expect((refused as StoreError).code).toBe('region-mismatch');

      const store = await PostgresStore.open({ pool: admin, region: 'eu', schema: scope.schema });
      await store.close();
      expect((await admin.query('SELECT 1 AS one')).rows[0]).toEqual({ one: 1 });
    } finally {
      await scope.drop();
    }
  });
});
