import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';

/** The test database; CI sets HELIOS_TEST_PG_URL, the default is the local development one. */
export const TEST_PG_URL =
  process.env.HELIOS_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/**
 * A pool for test setup and teardown, checked to be reachable. Postgres tests never skip: an
 * unreachable database fails them, with the address in the message.
 */
export async function connectTestPostgres(): Promise<Pool> {
  const pool = new Pool({ connectionString: TEST_PG_URL, max: 2 });
  pool.on('error', () => {});
  try {
    await pool.query('SELECT 1');
  } catch (error) {
    await pool.end();
    throw new Error(
      `Postgres is unreachable at ${TEST_PG_URL} (set HELIOS_TEST_PG_URL): ${String(error)}`,
      { cause: error },
    );
  }
  return pool;
}

/** A schema name no other test run uses, so parallel runs on one database do not collide. */
export function uniqueSchema(): string {
  return `helios_test_${process.pid}_${randomBytes(4).toString('hex')}`;
}
