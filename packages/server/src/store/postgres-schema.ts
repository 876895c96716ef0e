import { randomBytes } from 'node:crypto';
import { type DocumentId, newReplicaId } from '@helios/core';
import type { PoolClient } from 'pg';
import { StoreError } from './errors.js';
import { readModelSql } from './postgres-read-model-sql.js';
import type { postgresSql } from './postgres-sql.js';
import { sqlWritesSql } from './postgres-sql-writes-sql.js';
import type { StoredDocument } from './relay-store.js';
import { foldStored } from './stored-state.js';

/**
 * The version of the Postgres store's schema this code writes, kept in `meta` under `version`
 * (a schema without it is version 1, the change log alone):
 * 1. the change log, snapshots, feed cursors and replica owners;
 * 2. the read model: `document_values` and its views (docs/sql.md);
 * 3. writes from SQL: the `sql_writes` queue, its functions, and the relay's own replica id.
 */
export const SCHEMA_VERSION = 3;

/** The user that owns the replica id the relay applies SQL writes as: no client is it. */
export const SQL_WRITER_USER = '@helios/sql-writes';

/** What a store reads from its schema once it is created and upgraded. */
export interface SchemaMeta {
  /** See `RelayStore.epoch`. */
  readonly epoch: string;
  /** The replica id SQL writes are applied as. */
  readonly sqlReplica: string;
}

/**
 * Creates the schema's tables if absent, records the region (refusing a schema of another one),
 * and upgrades it to {@link SCHEMA_VERSION}: inside the caller's transaction, which holds the
 * schema's advisory lock. `load` reads a document through that transaction.
 *
 * @throws {StoreError} `region-mismatch`, or `schema-version` for a schema newer than this code.
 */
export async function prepareSchema(
  client: PoolClient,
  sql: ReturnType<typeof postgresSql>,
  schema: string,
  region: string,
  load: (doc: DocumentId) => Promise<StoredDocument | undefined>,
): Promise<SchemaMeta> {
  await client.query(sql.schema);
  await client.query(sql.initRegion, [region, randomBytes(8).toString('hex')]);
  const meta = await readMeta(client, sql);
  if (meta.get('region') !== region) {
    throw new StoreError(
      'region-mismatch',
      `schema "${schema}" holds the store of region "${meta.get('region')}", not "${region}"`,
    );
  }
  const version = Number(meta.get('version') ?? 1);
  await upgradeSchema(client, schema, version, load);
  if (version !== SCHEMA_VERSION) await client.query(sql.setVersion, [SCHEMA_VERSION]);
  const upgraded = await readMeta(client, sql);
  return { epoch: upgraded.get('epoch')!, sqlReplica: upgraded.get('sql_replica')! };
}

async function readMeta(
  client: PoolClient,
  sql: ReturnType<typeof postgresSql>,
): Promise<Map<string, string>> {
  const { rows } = await client.query<{ key: string; value: string }>(sql.storedMeta);
  return new Map(rows.map((row) => [row.key, row.value]));
}

/** Documents whose values are computed per page while upgrading to version 2. */
const BACKFILL_PAGE = 500;

/**
 * Brings a schema at `version` up to {@link SCHEMA_VERSION}, inside the caller's transaction
 * (which holds the schema's advisory lock, so one node upgrades and the others wait).
 * `load` reads a document through that transaction.
 *
 * @throws {StoreError} `schema-version` for a schema newer than this code.
 */
async function upgradeSchema(
  client: PoolClient,
  schema: string,
  version: number,
  load: (doc: DocumentId) => Promise<StoredDocument | undefined>,
): Promise<void> {
  if (version > SCHEMA_VERSION) {
    throw new StoreError(
      'schema-version',
      `schema "${schema}" is at version ${version}, newer than this relay's ${SCHEMA_VERSION}: upgrade the relay`,
    );
  }
  const readModel = readModelSql(schema);
  if (version < 2) {
    await client.query(readModel.tables);
    await backfillValues(client, readModel, load);
  }
  if (version < 3) {
    await client.query(sqlWritesSql(schema).ddl);
    // Idempotent, as every step: a step interrupted by a crash is rolled back, but a schema
    // restored from parts of a dump may hold some of it.
    await client.query(
      `WITH meta AS (
        INSERT INTO "${schema}".meta (key, value) VALUES ('sql_replica', $1)
        ON CONFLICT (key) DO UPDATE SET value = "${schema}".meta.value RETURNING value
      )
      INSERT INTO "${schema}".replicas (replica, user_id) SELECT value, $2 FROM meta
      ON CONFLICT (replica) DO NOTHING`,
      [newReplicaId(), SQL_WRITER_USER],
    );
  }
}

/**
 * Writes the value row of every document stored before the read model existed: its snapshot
 * and changes folded, as `CrdtType.toJson` writes it.
 */
async function backfillValues(
  client: PoolClient,
  readModel: ReturnType<typeof readModelSql>,
  load: (doc: DocumentId) => Promise<StoredDocument | undefined>,
): Promise<void> {
  let after = '';
  for (;;) {
    const { rows } = await client.query<{ doc: string }>(readModel.missingValues, [
      after,
      BACKFILL_PAGE,
    ]);
    for (const { doc } of rows) {
      after = doc;
      const stored = await load(doc);
      const folded = stored && foldStored(stored);
      if (folded === undefined) continue;
      const json = JSON.stringify(folded.type.toJson(folded.state));
      await client.query(readModel.insertValue, [doc, folded.type.name, json]);
    }
    if (rows.length < BACKFILL_PAGE) return;
  }
}
