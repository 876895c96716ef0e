import type { Pool } from 'pg';

/**
 * The backend (session) holding the lock of node slot `slot` of `schema`: two-int advisory
 * locks show their first key (the schema's, from `hashtext`) as `classid`, an oid.
 */
export async function slotHolderPid(
  pool: Pool,
  schema: string,
  slot: number,
): Promise<number | undefined> {
  const { rows } = await pool.query<{ pid: number }>(
    `SELECT pid FROM pg_locks
     WHERE locktype = 'advisory' AND objsubid = 2 AND objid = $2 AND granted
     AND classid::text::bigint = (hashtext($1)::bigint & 4294967295)`,
    [`helios:relay-slots:${schema}`, slot],
  );
  return rows[0]?.pid;
}

/** Ends the session holding node slot `slot` of `schema`, as a dropped connection would. */
export async function terminateSlotHolder(pool: Pool, schema: string, slot: number) {
  const pid = await slotHolderPid(pool, schema, slot);
  if (pid === undefined) throw new Error(`nobody holds node slot ${slot} of ${schema}`);
  await pool.query('SELECT pg_terminate_backend($1)', [pid]);
}
