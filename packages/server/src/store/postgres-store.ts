import type { DocumentId } from '@helios/core';
import { Pool, type PoolClient, type QueryResult, type QueryResultRow } from 'pg';
import { StoreClosedError, StoreError } from './errors.js';
import { checkBatch, checkName, checkNotAhead, checkSeq, highestCursors } from './internal.js';
import { PostgresRelaySlots } from './postgres-relay-slots.js';
import type { ChangeRow, CommitRow, DocLoadRow, LoadRow } from './postgres-rows.js';
import { outcomeOf, toChange, toStoredDocument, toStoredDocuments } from './postgres-rows.js';
import { prepareSchema } from './postgres-schema.js';
import { postgresSql } from './postgres-sql.js';
import { PostgresWriteRequests } from './postgres-write-requests.js';
import type {
  CommitBatch,
  CommitOutcome,
  DocumentValue,
  NewChange,
  RelaySlots,
  RelayStore,
  SlotFence,
  StoredChange,
  StoredDocument,
  WriteRequestQueue,
} from './relay-store.js';

/** Options of {@link PostgresStore.open}. */
export interface PostgresStoreOptions {
  /** Where to connect; ignored when `pool` is given. */
  readonly connectionString?: string;
  /** The relay's region: changes of this origin form its feed. */
  readonly region: string;
  /** Schema holding the tables, created if absent (default `helios`). One schema per region. */
  readonly schema?: string;
  /** A pool to use instead of creating one; the store does not end it on close. */
  readonly pool?: Pool;
  /**
   * Whether commits write the documents' values to `document_values` (default true). Turning
   * it off is for measuring what the read model costs: the values and the SQL write functions
   * (which check calls against them) go stale.
   */
  readonly readModel?: boolean;
}

type QueryKey = Exclude<keyof ReturnType<typeof postgresSql>, 'schema'>;

/**
 * The shared {@link RelayStore}: several relay nodes of one region use one Postgres schema.
 *
 * The feed must be readable by seq with no gap appearing later (a peer that read up to seq 10
 * never asks for 9 again), so seq order must equal commit order across nodes. A bigserial does
 * not give that: two transactions can take 9 and 10 and commit 10 first. Instead each commit is
 * one statement that first bumps the region's row in `heads` and numbers its changes from it;
 * the row lock is held until the commit, so commits are serialized and each one's seqs come
 * right after the previous one's, visible only once everything before them is.
 *
 * Within a node, commits are also queued so they reach the database in call order.
 */
export class PostgresStore implements RelayStore {
  readonly region: string;
  readonly schema: string;
  /** Commits write the documents' values to `document_values` (docs/sql.md). */
  readonly keepsValues: boolean;
  readonly #relaySlots: PostgresRelaySlots;
  /** Set by {@link PostgresStore.open}. */
  #writeRequests: PostgresWriteRequests | undefined;
  /** Read from the schema by {@link PostgresStore.open}. */
  #epoch = '';
  readonly #pool: Pool;
  readonly #ownsPool: boolean;
  readonly #sql: ReturnType<typeof postgresSql>;
  /** Tail of the commit queue: resolves once the previous commit has settled. */
  #commitTail: Promise<unknown> = Promise.resolve();
  #closed = false;

  private constructor(
    pool: Pool,
    ownsPool: boolean,
    region: string,
    schema: string,
    keepsValues: boolean,
  ) {
    this.keepsValues = keepsValues;
    this.#pool = pool;
    this.#ownsPool = ownsPool;
    this.region = region;
    this.schema = schema;
    this.#sql = postgresSql(schema);
    this.#relaySlots = new PostgresRelaySlots(pool, schema);
  }

  /**
   * Connects and creates the schema and tables if absent. Several nodes may open the same
   * schema at once (the creation is serialized by an advisory lock); a schema written for
   * another region is refused, as its feed would be read as this region's.
   */
  static async open(options: PostgresStoreOptions): Promise<PostgresStore> {
    checkName('region', options.region);
    const schema = options.schema ?? 'helios';
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(schema)) {
      throw new StoreError('invalid-argument', `schema "${schema}" is not a plain identifier`);
    }
    if (options.pool === undefined && options.connectionString === undefined) {
      throw new StoreError('invalid-argument', 'PostgresStore needs a connectionString or a pool');
    }
    const ownsPool = options.pool === undefined;
    const pool = options.pool ?? new Pool({ connectionString: options.connectionString });
    // An idle client that loses its connection is dropped by the pool; the next query reports
    // the outage. Without a listener the 'error' event would crash the process.
    if (ownsPool) pool.on('error', () => {});
    const store = new PostgresStore(
      pool,
      ownsPool,
      options.region,
      schema,
      options.readModel ?? true,
    );
    try {
      await store.#migrate();
      return store;
    } catch (error) {
      if (ownsPool) await pool.end();
      throw error;
    }
  }

  get epoch(): string {
    return this.#epoch;
  }

  /** The node slots of the relay nodes sharing the schema (docs/architecture.md §5.2). */
  get relaySlots(): RelaySlots {
    return this.#relaySlots;
  }

  /** The writes queued by the SQL functions (docs/sql.md). */
  get writeRequests(): WriteRequestQueue {
    return this.#writeRequests!;
  }

  async load(doc: DocumentId): Promise<StoredDocument | undefined> {
    this.#open();
    return this.#load(doc);
  }

  /**
   * Loads `doc` through `client` (a transaction's) or the pool; with `after`, only what comes
   * after that seq (the snapshot only if it is past it).
   */
  async #load(
    doc: DocumentId,
    client?: PoolClient,
    after = -1,
  ): Promise<StoredDocument | undefined> {
    // One statement, so one MVCC snapshot: a concurrent saveSnapshot cannot delete changes
    // between reading the snapshot and reading the changes after it.
    const { rows } = await this.#query<LoadRow>('load', [doc, after], client);
    return toStoredDocument(doc, rows);
  }

  async commit(batch: CommitBatch): Promise<number[]> {
    return (await this.commitShared(batch)).seqs;
  }

  /** {@link commit}, with each change's place among its document's ({@link CommitOutcome}). */
  async commitShared(batch: CommitBatch): Promise<CommitOutcome> {
    this.#open();
    checkBatch(batch);
    if (
      batch.changes.length === 0 &&
      (batch.cursors?.length ?? 0) === 0 &&
      (batch.requests?.length ?? 0) === 0
    ) {
      return { seqs: [], priors: [], redone: false };
    }
    // Read the batch now: the caller may reuse its arrays while the commit waits in the queue
    // (the delta bytes themselves are treated as immutable, as everywhere in the relay).
    const { changes } = batch;
    const cursors = highestCursors(batch);
    const values = batch.values ?? [];
    const params = [
      this.region,
      changes.length,
      changes.map((c) => c.doc),
      changes.map((c) => c.origin),
      changes.map((c) => c.delta),
      [...cursors.keys()],
      [...cursors.values()],
      values.map((v) => v.doc),
      values.map((v) => v.type),
      values.map((v) => v.json),
      values.map((v) => v.basis ?? null),
      batch.requests ?? [],
    ];
    const fences = batch.fences ?? [];
    const run = this.#commitTail.then(() => this.#commitNow(changes, values, params, fences));
    this.#commitTail = run.catch(() => {});
    return run;
  }

  async saveSnapshot(doc: DocumentId, snapshot: Uint8Array, upToSeq: number): Promise<void> {
    this.#open();
    checkSeq('upToSeq', upToSeq);
    const { rows } = await this.#query<{ seq: string }>('saveSnapshot', [
      doc,
      upToSeq,
      snapshot,
      this.region,
    ]);
    checkNotAhead('upToSeq', upToSeq, Number(rows[0]!.seq));
  }

  async readFeed(after: number, limit: number): Promise<StoredChange[]> {
    this.#open();
    checkSeq('after', after);
    checkSeq('limit', limit);
    const { rows } = await this.#query<ChangeRow>('readFeed', [this.region, after, limit]);
    return rows.map(toChange);
  }

  async feedStart(): Promise<number> {
    this.#open();
    const { rows } = await this.#query<{ up_to: string }>('feedStart', [this.region]);
    return Number(rows[0]!.up_to);
  }

  async documents(after: DocumentId, limit: number): Promise<DocumentId[]> {
    this.#open();
    checkSeq('limit', limit);
    const { rows } = await this.#query<{ doc: string }>('documents', [after, limit]);
    return rows.map((row) => row.doc);
  }

  async getCursor(peer: string): Promise<number> {
    this.#open();
    const { rows } = await this.#query<{ up_to: string }>('getCursor', [peer]);
    return rows.length === 0 ? 0 : Number(rows[0]!.up_to);
  }

  async release(upTo: number): Promise<void> {
    this.#open();
    checkSeq('upTo', upTo);
    const { rows } = await this.#query<{ seq: string }>('release', [this.region, upTo]);
    checkNotAhead('upTo', upTo, Number(rows[0]!.seq));
  }

  async claimReplica(replica: string, user: string): Promise<string> {
    this.#open();
    checkName('replica', replica);
    checkName('user', user);
    // Most claims are of a replica already bound: read first, write only for a new one.
    const owner = await this.#query<{ user_id: string }>('replicaOwner', [replica]);
    if (owner.rows.length > 0) return owner.rows[0]!.user_id;
    const { rows } = await this.#query<{ user_id: string }>('claimReplica', [replica, user]);
    return rows[0]!.user_id;
  }

  async lastSeq(doc: DocumentId): Promise<number> {
    this.#open();
    const { rows } = await this.#query<{ last_seq: string }>('lastSeq', [doc]);
    return rows.length === 0 ? 0 : Number(rows[0]!.last_seq);
  }

  /** Number of retained changes (feed changes kept for peers included), for metrics and tests. */
  async countChanges(): Promise<number> {
    this.#open();
    const { rows } = await this.#query<{ n: string }>('countChanges');
    return Number(rows[0]!.n);
  }

  /** Waits for queued commits, then ends the pool if the store created it. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#commitTail;
    await this.#relaySlots.close();
    if (this.#ownsPool) await this.#pool.end();
  }

  /**
   * Runs one of the store's statements, prepared once per connection under a schema-unique name,
   * on `client` (a transaction's) or the pool.
   */
  #query<Row extends QueryResultRow>(
    key: QueryKey,
    values: unknown[] = [],
    client: Pool | PoolClient = this.#pool,
  ): Promise<QueryResult<Row>> {
    return client.query<Row>({
      name: `helios.${this.schema}.${key}`,
      text: this.#sql[key],
      values,
    });
  }

  async #commitNow(
    changes: readonly NewChange[],
    values: readonly DocumentValue[],
    params: unknown[],
    fences: readonly SlotFence[],
  ): Promise<CommitOutcome> {
    try {
      // A batch that mints a node slot's dots checks the slot in its own transaction.
      const { rows } =
        fences.length === 0
          ? await this.#query<CommitRow>('commit', params)
          : await this.#transaction(async (client) => {
              await this.#relaySlots.checkFences(client, fences);
              return this.#query<CommitRow>('commit', params, client);
            });
      return outcomeOf(changes, rows[0]!, false);
    } catch (err) {
      if ((err as { code?: unknown }).code !== STALE_VALUES) throw refusal(err);
      const row = await this.#commitCaughtUp(values, params, fences).catch((e: unknown) => {
        throw refusal(e);
      });
      return outcomeOf(changes, row, true);
    }
  }

  /**
   * The commit of a batch some of whose values lack another node's change (their basis is
   * behind the document's last seq): in a transaction that first takes the head row's lock, so
   * no other commit lands meanwhile, the node is handed what it lacks of those documents
   * (`catchUp`), and the values it then computes are exact.
   */
  async #commitCaughtUp(
    values: readonly DocumentValue[],
    params: unknown[],
    fences: readonly SlotFence[],
  ): Promise<CommitRow> {
    return this.#transaction(async (client) => {
      // Slot rows before the head row, as in every fenced commit: no two commits wait in a cycle.
      if (fences.length > 0) await this.#relaySlots.checkFences(client, fences);
      await client.query(this.#sql.lockHead, [this.region]);
      const { rows } = await client.query<{ doc: string; last_seq: string }>(this.#sql.lastSeqs, [
        values.map((v) => v.doc),
      ]);
      const last = new Map(rows.map((row) => [row.doc, Number(row.last_seq)]));
      const behind = values.filter(
        (v) => v.catchUp !== undefined && v.basis !== undefined && (last.get(v.doc) ?? 0) > v.basis,
      );
      const wanted = [behind.map((v) => v.doc), behind.map((v) => v.basis)];
      const loaded =
        behind.length > 0 ? await this.#query<DocLoadRow>('loadAfter', wanted, client) : undefined;
      const missed = toStoredDocuments(loaded?.rows ?? []);
      const json = values.map((value) => {
        const stored = missed.get(value.doc);
        return stored && value.catchUp ? value.catchUp(stored) : value.json;
      });
      // Under the lock every value is now exact: no basis to check.
      const fresh = [...params.slice(0, 9), json, values.map(() => null), ...params.slice(11)];
      const head = await this.#query<CommitRow>('commit', fresh, client);
      return head.rows[0]!;
    });
  }

  /** Creates, checks and upgrades the schema, with its advisory lock held (one node at a time). */
  async #migrate(): Promise<void> {
    await this.#transaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`helios:${this.schema}`]);
      const meta = await prepareSchema(client, this.#sql, this.schema, this.region, (doc) =>
        this.#load(doc, client),
      );
      this.#epoch = meta.epoch;
      this.#writeRequests = new PostgresWriteRequests(this.#pool, this.schema, meta.sqlReplica);
    });
  }

  /** Runs `work` in a transaction on a connection of its own. */
  async #transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  #open(): void {
    if (this.#closed) throw new StoreClosedError('PostgresStore');
  }
}

/** The SQLSTATE of the commit statement's refusal of values that lack another node's change. */
const STALE_VALUES = 'HL409';
/** The SQLSTATE of its refusal of a SQL write another node has applied. */
const REAPPLIED = 'HL410';

/** The commit statement's refusal of a SQL write already applied, as a StoreError. */
function refusal(err: unknown): unknown {
  if ((err as { code?: unknown }).code !== REAPPLIED) return err;
  return new StoreError('already-applied', (err as Error).message);
}
