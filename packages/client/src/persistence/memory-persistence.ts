import type { ClientPersistence, CommitBatch, OutboxEntry, StoredDocument } from './persistence.js';

interface MemoryDatabase {
  readonly docs: Map<string, { snapshot: Uint8Array | null; deltas: Uint8Array[] }>;
  readonly outbox: Map<number, OutboxEntry>;
  readonly slots: Map<number, string>;
  /** Ids slots had before they were renewed, newest first. */
  readonly formerSlotIds: string[];
  readonly meta: Map<string, unknown>;
  nextOutboxId: number;
}

/** In-process databases by name, so clients of one name share one, as tabs share IndexedDB. */
const databases = new Map<string, MemoryDatabase>();

/**
 * Persistence in memory: for Node (tests, server-side writers) and the fallback when
 * IndexedDB is unavailable. Nothing outlives the process.
 */
export class MemoryPersistence implements ClientPersistence {
  readonly kind = 'memory' as const;
  readonly #db: MemoryDatabase;
  readonly #idsAbove: (() => number) | undefined;

  /**
   * A database shared by every MemoryPersistence of this `name` in the process.
   * @param options.outboxIdsAbove outbox ids handed out are above what it returns: a client
   *   falling back from IndexedDB keeps the ids of its pending writes unique.
   */
  constructor(name?: string, options: { readonly outboxIdsAbove?: () => number } = {}) {
    this.#idsAbove = options.outboxIdsAbove;
    const fresh = (): MemoryDatabase => ({
      docs: new Map(),
      outbox: new Map(),
      slots: new Map(),
      formerSlotIds: [],
      meta: new Map(),
      nextOutboxId: 1,
    });
    if (name === undefined) {
      this.#db = fresh();
      return;
    }
    let db = databases.get(name);
    if (db === undefined) {
      db = fresh();
      databases.set(name, db);
    }
    this.#db = db;
  }

  async load(doc: string): Promise<StoredDocument> {
    const stored = this.#db.docs.get(doc);
    return stored
      ? { snapshot: stored.snapshot, deltas: [...stored.deltas] }
      : { snapshot: null, deltas: [] };
  }

  async commit({ writes, settled }: CommitBatch): Promise<(number | undefined)[]> {
    for (const entry of settled) this.#db.outbox.delete(entry.id);
    if (this.#idsAbove) {
      this.#db.nextOutboxId = Math.max(this.#db.nextOutboxId, this.#idsAbove() + 1);
    }
    return writes.map((w) => {
      let stored = this.#db.docs.get(w.doc);
      if (stored === undefined) {
        stored = { snapshot: null, deltas: [] };
        this.#db.docs.set(w.doc, stored);
      }
      stored.deltas.push(w.delta);
      if (!w.outbox) return undefined;
      const id = this.#db.nextOutboxId++;
      this.#db.outbox.set(id, { id, doc: w.doc, delta: w.delta });
      return id;
    });
  }

  async compact(doc: string, fold: (stored: StoredDocument) => Uint8Array): Promise<void> {
    const stored = this.#db.docs.get(doc);
    if (stored === undefined) return;
    const snapshot = fold({ snapshot: stored.snapshot, deltas: stored.deltas });
    this.#db.docs.set(doc, { snapshot, deltas: [] });
  }

  async outbox(): Promise<OutboxEntry[]> {
    return [...this.#db.outbox.values()];
  }

  async slot(index: number, create: () => string): Promise<string> {
    let id = this.#db.slots.get(index);
    if (id === undefined) {
      id = create();
      this.#db.slots.set(index, id);
    }
    return id;
  }

  async slotIds(): Promise<string[]> {
    return [...this.#db.slots.values(), ...this.#db.formerSlotIds];
  }

  async renewSlot(index: number, id: string): Promise<void> {
    const old = this.#db.slots.get(index);
    this.#db.slots.set(index, id);
    if (old !== undefined) this.#db.formerSlotIds.unshift(old);
  }

  async getMeta(key: string): Promise<unknown> {
    return this.#db.meta.get(key);
  }

  async setMeta(key: string, value: unknown): Promise<void> {
    this.#db.meta.set(key, value);
  }

  close(): void {}
}
