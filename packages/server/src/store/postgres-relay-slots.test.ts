import type { Pool } from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectTestPostgres, TEST_PG_URL, uniqueSchema } from '../test-support/postgres.js';
import { terminateSlotHolder } from '../test-support/relay-slots.js';
import { PostgresStore } from './postgres-store.js';
import { SQL_WRITES_SLOT } from './postgres-write-requests.js';

let admin: Pool;
const schema = uniqueSchema();
const opened: PostgresStore[] = [];

beforeAll(async () => {
  admin = await connectTestPostgres();
});
afterEach(async () => {
  for (const store of opened.splice(0)) await store.close();
  await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
});
afterAll(async () => {
  await admin?.end();
});

/** A store of one more node of the region, on the test's schema. */
async function node(): Promise<PostgresStore> {
  const store = await PostgresStore.open({ connectionString: TEST_PG_URL, region: 'eu', schema });
  opened.push(store);
  return store;
}

const change = (doc: string) => ({ doc, delta: new Uint8Array([1, 2, 3]), origin: 'eu' });

describe('node slots of a Postgres store', () => {
  it('each node gets the lowest free slot; a slot given up is claimed again, a generation on', async () => {
    const [a, b, c, d] = await Promise.all([node(), node(), node(), node()]);
    const held = [await a.relaySlots.claim(3), await b.relaySlots.claim(3)];
    const third = await c.relaySlots.claim(3);
    expect([...held, third].map((s) => s?.slot)).toEqual([0, 1, 2]);
    expect(await d.relaySlots.claim(3)).toBeUndefined(); // all three held
    await held[1]!.release();
    await held[1]!.lost;
    const again = await d.relaySlots.claim(3);
    expect(again).toMatchObject({ slot: 1, generation: held[1]!.generation + 1 });
  });

  it('refuses a fenced commit once another node claimed the slot, and writes nothing of it', async () => {
    const [old, next] = await Promise.all([node(), node()]);
    const slot = (await old.relaySlots.claim(4))!;
    const fence = { slot: slot.slot, generation: slot.generation };
    expect(await old.commit({ changes: [change('d')], fences: [fence] })).toEqual([1]);

    // The old node's lock connection is cut: it has not noticed yet when the next node claims.
    await terminateSlotHolder(admin, schema, slot.slot);
    await slot.lost;
    const taken = (await next.relaySlots.claim(4))!;
    expect(taken).toMatchObject({ slot: slot.slot, generation: slot.generation + 1 });

    const batch = { changes: [change('d'), change('e')], fences: [fence] };
    await expect(old.commit(batch)).rejects.toMatchObject({ code: 'fenced' });
    expect(await old.countChanges()).toBe(1);
    const nextFence = { slot: taken.slot, generation: taken.generation };
    expect(await next.commit({ changes: [change('d')], fences: [nextFence] })).toEqual([2]);
    // Unfenced commits of the old node (its clients' writes) go on.
    expect(await old.commit({ changes: [change('f')] })).toEqual([3]);
  });

  it('a claim waits for a commit fenced by the slot’s last generation that is in flight', async () => {
    const [old, next] = await Promise.all([node(), node()]);
    const slot = (await old.relaySlots.claim(1))!;
    // An in-flight fenced commit holds the slot's row shared until it ends.
    const inFlight = await admin.connect();
    try {
      await inFlight.query('BEGIN');
      await inFlight.query(`SELECT 1 FROM "${schema}".relay_slots WHERE slot = 0 FOR SHARE`);
      await slot.release();
      let claimed = false;
      const claim = next.relaySlots.claim(1).then((s) => {
        claimed = true;
        return s;
      });
      // Until Postgres shows the claim waiting for that row lock (this schema's: other test
      // files claim slots of their own schemas meanwhile).
      for (let polls = 0; ; polls++) {
        const { rows } = await admin.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity
           WHERE wait_event_type = 'Lock' AND query LIKE $1`,
          [`%"${schema}".relay_slots%generation + 1%`],
        );
        if (rows[0]!.n === 1) break;
        expect(polls, 'the claim never waited for the row lock').toBeLessThan(1_000);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(claimed).toBe(false);
      await inFlight.query('COMMIT');
      expect(await claim).toMatchObject({ slot: 0, generation: slot.generation + 1 });
    } finally {
      inFlight.release();
    }
  });
});

describe('the turn at applying SQL writes', () => {
  it('is fenced like a node slot: a node that lost it cannot commit beside the one that took it', async () => {
    const [old, next] = await Promise.all([node(), node()]);
    const stops = [
      old.writeRequests.watch(
        () => {},
        () => {},
      ),
    ];
    try {
      await expect.poll(() => old.writeRequests.fence, { timeout: 10_000 }).toBeDefined();
      const fence = old.writeRequests.fence!;
      expect(fence.slot).toBe(SQL_WRITES_SLOT);
      expect(await old.commit({ changes: [change('d')], fences: [fence] })).toEqual([1]);

      // The old node's listening connection is cut; the next node takes the turn (it polls
      // every second) before the old one learns of it.
      const { rows } = await admin.query<{ pid: number }>(
        `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 1 AND granted
         AND objid::text::bigint = (hashtext($1)::bigint & 4294967295)`,
        [`helios:sql-writes:${schema}`],
      );
      expect(rows).toHaveLength(1);
      await admin.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
      stops.push(
        next.writeRequests.watch(
          () => {},
          () => {},
        ),
      );
      await expect.poll(() => next.writeRequests.fence, { timeout: 10_000 }).toBeDefined();
      expect(next.writeRequests.fence!.generation).toBe(fence.generation + 1);

      await expect(old.commit({ changes: [change('e')], fences: [fence] })).rejects.toMatchObject({
        code: 'fenced',
      });
      expect(await old.countChanges()).toBe(1);
      const taken = next.writeRequests.fence!;
      expect(await next.commit({ changes: [change('e')], fences: [taken] })).toEqual([2]);
    } finally {
      for (const watch of stops) await watch.stop();
    }
  });
});
