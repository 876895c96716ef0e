import type { Pool, PoolClient } from 'pg';
import { StoreError } from './errors.js';
import type { RelaySlot, RelaySlots, SlotFence } from './relay-store.js';

/**
 * The SQL of the node slots, for one schema. The table is created with the store's other
 * tables (postgres-sql.ts `schema`).
 */
export function relaySlotsSql(schema: string) {
  const s = `"${schema}"`;
  return {
    /*
     * The slot's lock: one advisory lock per slot, in a key space of the schema (two-int keys,
     * apart from the one-key locks of the schema's migration and SQL writes). $1 key, $2 slot.
     */
    tryLock: 'SELECT pg_try_advisory_lock(hashtext($1), $2::int) AS ok',

    /* Gives the slot's lock up at once; ending the session frees it only once Postgres notices. */
    unlock: 'SELECT pg_advisory_unlock(hashtext($1), $2::int)',

    /*
     * Moves the slot's generation on, while its lock is held. The row lock waits for the
     * commits that hold it shared (fenced by the previous generation) to end. $1 slot.
     */
    bump: `
      INSERT INTO ${s}.relay_slots AS r (slot, generation) VALUES ($1, 1)
      ON CONFLICT (slot) DO UPDATE SET generation = r.generation + 1
      RETURNING generation`,

    /*
     * Taken by a fenced commit in its transaction, before it writes: shared, so commits of
     * several nodes do not wait for each other, and a claim waits for them. $1 slots.
     */
    fence: `
      SELECT slot, generation FROM ${s}.relay_slots WHERE slot = ANY($1::int[])
      ORDER BY slot FOR SHARE`,
  };
}

/** A slot's lock: the connection that holds it, ended once (which frees the lock). */
class SlotLock {
  readonly client: PoolClient;
  readonly lost: Promise<void>;
  fence: SlotFence | undefined;
  #resolve: () => void = () => {};
  #ended = false;

  constructor(client: PoolClient) {
    this.client = client;
    this.lost = new Promise((resolve) => {
      this.#resolve = resolve;
    });
  }

  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#resolve();
    // Released with an error, the connection is closed rather than pooled: the lock goes.
    this.client.release(new Error('relay slot given up'));
  }
}

/**
 * The node slots of one Postgres schema ({@link RelaySlots}). A slot is held by a session
 * advisory lock on a connection kept for the purpose: it ends with the connection, so a dead
 * node's slot frees as soon as Postgres notices its session is gone. A node whose connection
 * ended may not know it yet and still be committing: the slot's generation, moved on by every
 * claim and checked by every fenced commit (see {@link checkFences}), keeps it from committing
 * once another node has claimed the slot.
 */
export class PostgresRelaySlots implements RelaySlots {
  readonly #pool: Pool;
  readonly #key: string;
  readonly #sql: ReturnType<typeof relaySlotsSql>;
  readonly #held = new Map<number, SlotLock>();

  constructor(pool: Pool, schema: string) {
    this.#pool = pool;
    this.#key = `helios:relay-slots:${schema}`;
    this.#sql = relaySlotsSql(schema);
  }

  async claim(count: number): Promise<RelaySlot | undefined> {
    const lock = new SlotLock(await this.#pool.connect());
    // An error on the idle connection (its session was terminated, the server went away) would
    // otherwise crash the process: it ends the hold instead.
    lock.client.on('error', () => this.#end(lock));
    lock.client.on('end', () => this.#end(lock));
    try {
      for (let slot = 0; slot < count; slot++) {
        if (this.#held.has(slot)) continue;
        const { client } = lock;
        const { rows } = await client.query<{ ok: boolean }>(this.#sql.tryLock, [this.#key, slot]);
        if (!rows[0]!.ok) continue;
        const bumped = await client.query<{ generation: string }>(this.#sql.bump, [slot]);
        lock.fence = { slot, generation: Number(bumped.rows[0]!.generation) };
        this.#held.set(slot, lock);
        return { ...lock.fence, lost: lock.lost, release: () => this.#release(lock) };
      }
    } catch (err) {
      this.#end(lock);
      throw err;
    }
    this.#end(lock);
    return undefined;
  }

  /**
   * Checks, in a commit's transaction on `client`, that every slot of `fences` is still at its
   * generation, holding the slots' rows shared until the commit ends.
   * @throws {StoreError} `fenced` when one is not: the slot is then lost to this node.
   */
  async checkFences(client: PoolClient, fences: readonly SlotFence[]): Promise<void> {
    const slots = [...new Set(fences.map((f) => f.slot))];
    const { rows } = await client.query<{ slot: number; generation: string }>(this.#sql.fence, [
      slots,
    ]);
    const current = new Map(rows.map((row) => [row.slot, Number(row.generation)]));
    const stale = fences.find((f) => current.get(f.slot) !== f.generation);
    if (stale === undefined) return;
    const lock = this.#held.get(stale.slot);
    if (lock?.fence?.generation === stale.generation) this.#end(lock);
    throw new StoreError(
      'fenced',
      `node slot ${stale.slot} was claimed by another node: its replica's writes are refused`,
    );
  }

  /** Gives up every slot held (the store is closing). */
  async close(): Promise<void> {
    await Promise.all([...this.#held.values()].map((lock) => this.#release(lock)));
  }

  /**
   * Gives a held slot up, unlocking it before its connection ends: a node started right after
   * this one stopped then finds the slot free, and takes it back with its replica's rights.
   */
  async #release(lock: SlotLock): Promise<void> {
    const slot = lock.fence?.slot;
    if (slot === undefined || this.#held.get(slot) !== lock) return lock.end();
    try {
      await lock.client.query(this.#sql.unlock, [this.#key, slot]);
    } catch {
      // The connection is gone already: its end frees the lock.
    }
    this.#end(lock);
  }

  #end(lock: SlotLock): void {
    if (lock.fence !== undefined && this.#held.get(lock.fence.slot) === lock) {
      this.#held.delete(lock.fence.slot);
    }
    lock.end();
  }
}
