import type { ReplicaId } from '@helios/core';
import type { Pool } from 'pg';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { PeerConfig } from '../options.js';
import { createRelay, type Relay } from '../relay.js';
import { PostgresStore } from '../store/postgres-store.js';
import { connectTestPostgres, TEST_PG_URL, uniqueSchema } from './postgres.js';
import { ProtocolClient } from './protocol-client.js';

/** A relay of {@link SqlFixtures.startRelay}, on a Postgres schema of its own. */
export interface SqlRelay {
  readonly url: string;
  readonly relay: Relay;
  readonly schema: string;
}

/**
 * The fixtures of the tests of SQL reads and writes (docs/sql.md), registered with the calling
 * test file's hooks: an admin pool to the test database, relays on Postgres schemas of their own,
 * protocol clients. What a test opens is closed, and its schemas dropped, after it.
 */
export class SqlFixtures {
  #admin: Pool | undefined;
  readonly #open: { close(): unknown }[] = [];
  readonly #schemas: string[] = [];

  constructor() {
    beforeAll(async () => {
      this.#admin = await connectTestPostgres();
    });
    afterAll(async () => {
      await this.#admin?.end();
    });
    afterEach(async () => {
      for (const c of this.#open.splice(0).reverse()) await c.close();
      for (const schema of this.#schemas.splice(0)) {
        await this.admin.query(`DROP SCHEMA "${schema}" CASCADE`);
      }
    });
  }

  /** The pool for the test's own SQL. */
  get admin(): Pool {
    if (this.#admin === undefined) throw new Error('SqlFixtures: used before its beforeAll ran');
    return this.#admin;
  }

  /** Closes `closeable` after the test (in the reverse order of tracking). */
  track<C extends { close(): unknown }>(closeable: C): C {
    this.#open.push(closeable);
    return closeable;
  }

  /** Drops `schema` after the test; returns it. */
  dropAfter(schema: string): string {
    if (!this.#schemas.includes(schema)) this.#schemas.push(schema);
    return schema;
  }

  /** An anonymous relay on the Postgres store in `schema` (a new one by default). */
  async startRelay(
    options: {
      schema?: string;
      region?: string;
      port?: number;
      peers?: readonly PeerConfig[];
    } = {},
  ): Promise<SqlRelay> {
    const { schema = uniqueSchema(), region = 'eu', port = 0, peers } = options;
    this.dropAfter(schema);
    const store = await PostgresStore.open({ connectionString: TEST_PG_URL, region, schema });
    const relay = createRelay({
      region,
      store,
      anonymous: true,
      logger: pino({ level: process.env.LOG ?? 'silent' }),
      ...(peers !== undefined ? { peers } : {}),
    });
    this.track(store);
    this.track(relay);
    const { url } = await relay.listen(port);
    return { url, relay, schema };
  }

  /** A protocol client of the relay at `url`, welcomed. */
  async client(url: string): Promise<ProtocolClient> {
    const c = this.track(new ProtocolClient(url));
    await c.ready();
    return c;
  }
}

/** An actor with a clock, for the last-writer-wins types' mutators. */
export function clocked(me: { replica: ReplicaId }) {
  return {
    replica: me.replica,
    now: () => ({ wall: Date.now(), counter: 0, replica: me.replica }),
  };
}
