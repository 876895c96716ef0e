import type { JsonValue } from '@helios/core';
import type { Pool, PoolClient } from 'pg';
import { relaySlotsSql } from './postgres-relay-slots.js';
import { sqlWritesSql } from './postgres-sql-writes-sql.js';
import type { SlotFence, WriteRequest, WriteRequestQueue } from './relay-store.js';

/** The channel the SQL write functions notify, with the schema's name as the payload. */
export const SQL_WRITES_CHANNEL = 'helios_sql_writes';

/**
 * How often (ms) a node that does not apply the writes tries to take over, and a node that does
 * looks at the queue without a notification (one lost with a dropped connection, say).
 */
const POLL_MS = 1_000;

/**
 * The row of the node slots' table whose generation fences the applier of the SQL writes
 * (below every node slot, which count from 0): the node that takes the turn moves it on, and
 * the commits of the node that had it are refused from then on.
 */
export const SQL_WRITES_SLOT = -1;

interface WriteRow {
  id: string;
  doc: string;
  op: WriteRequest['op'];
  key: string | null;
  arg: JsonValue;
}

/**
 * The SQL writes of one Postgres schema, as the relay sees them. One node at a time applies
 * them: the one holding the schema's advisory lock on its listening connection. The lock goes
 * with the connection, so when that node dies another one takes over within {@link POLL_MS}.
 * A node whose connection dropped may not know it yet and still be applying: taking the turn
 * moves the generation of {@link SQL_WRITES_SLOT} on (waiting for the commits fenced by the
 * last one in flight), and the {@link fence} its commits carry then refuses them.
 */
export class PostgresWriteRequests implements WriteRequestQueue {
  readonly replica: string;
  readonly #pool: Pool;
  readonly #schema: string;
  readonly #sql: ReturnType<typeof sqlWritesSql>;
  readonly #bump: string;
  #fence: SlotFence | undefined;

  constructor(pool: Pool, schema: string, replica: string) {
    this.#pool = pool;
    this.#schema = schema;
    this.#sql = sqlWritesSql(schema);
    this.#bump = relaySlotsSql(schema).bump;
    this.replica = replica;
  }

  get fence(): SlotFence | undefined {
    return this.#fence;
  }

  watch(wake: () => void, onError: (err: unknown) => void): { stop(): Promise<void> } {
    let client: PoolClient | undefined;
    let applying = false;
    let stopped = false;
    const drop = (err: unknown) => {
      if (client === undefined) return;
      client.release(err instanceof Error ? err : true);
      client = undefined;
      applying = false;
      this.#fence = undefined;
    };
    const tick = async () => {
      if (client === undefined) {
        const next = await this.#pool.connect();
        next.on('error', (err) => {
          onError(err);
          drop(err);
        });
        next.on('notification', (n) => {
          if (applying && n.channel === SQL_WRITES_CHANNEL && n.payload === this.#schema) wake();
        });
        await next.query(`LISTEN ${SQL_WRITES_CHANNEL}`);
        client = next;
      }
      if (!applying) {
        const { rows } = await client.query<{ ok: boolean }>(
          'SELECT pg_try_advisory_lock(hashtext($1)) AS ok',
          [`helios:sql-writes:${this.#schema}`],
        );
        if (rows[0]!.ok) {
          const bumped = await client.query<{ generation: string }>(this.#bump, [SQL_WRITES_SLOT]);
          this.#fence = { slot: SQL_WRITES_SLOT, generation: Number(bumped.rows[0]!.generation) };
          applying = true;
        }
      }
      if (applying) wake();
    };
    let running: Promise<void> = Promise.resolve();
    const run = () => {
      running = running.then(tick).catch((err: unknown) => {
        onError(err);
        drop(err);
      });
    };
    run();
    const timer = setInterval(() => {
      if (!stopped) run();
    }, POLL_MS);
    timer.unref();
    return {
      stop: async () => {
        stopped = true;
        clearInterval(timer);
        await running;
        // Releasing the connection with an error closes it: the lock and LISTEN go with it.
        drop(new Error('stopped'));
      },
    };
  }

  async pending(limit: number): Promise<WriteRequest[]> {
    const { rows } = await this.#pool.query<WriteRow>(this.#sql.pending, [limit]);
    return rows.map((row) => ({ ...row, id: Number(row.id) }));
  }

  async fail(id: number, reason: string): Promise<void> {
    await this.#pool.query(this.#sql.fail, [id, reason]);
  }
}
