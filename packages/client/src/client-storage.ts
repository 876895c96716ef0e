import { IdbPersistence, type LocalDurability } from './persistence/idb-persistence.js';
import { MemoryPersistence } from './persistence/memory-persistence.js';
import { type ClientPersistence, PersistenceError } from './persistence/persistence.js';
import type { StorageProblem, StorageStatus } from './status.js';

export interface ClientStorageOptions {
  readonly dbName: string;
  /** What an IndexedDB commit promises (`ClientOptions.localDurability`). */
  readonly durability: LocalDurability;
  /** What the app asked for (`ClientOptions.persistence`). */
  readonly wanted: 'indexeddb' | 'memory' | ClientPersistence | undefined;
  /** Where writes are made durable changed (or why it is not IndexedDB). */
  readonly onStatus: (storage: StorageStatus) => void;
  /** The highest outbox id in use: a memory fallback must not hand out those again. */
  readonly outboxIdsAbove: () => number;
  /** The client fell back to memory and lost sight of its stored documents. */
  readonly onFallback: () => void;
}

/**
 * The client's local storage: IndexedDB where it exists and the app did not choose otherwise,
 * and the fallback to memory when IndexedDB fails, so that writes keep working (for as long as
 * the tab lives) instead of being lost or blocking the app.
 */
export class ClientStorage {
  readonly #options: ClientStorageOptions;
  #persistence: ClientPersistence | undefined;
  #degrading: Promise<void> | undefined;
  #closed = false;

  constructor(options: ClientStorageOptions) {
    this.#options = options;
  }

  /** The storage in use; only read once {@link open} resolved. */
  get current(): ClientPersistence {
    if (this.#persistence === undefined) throw new Error('local storage is not open yet');
    return this.#persistence;
  }

  /** The storage in use, or undefined before {@link open} resolved. */
  get opened(): ClientPersistence | undefined {
    return this.#persistence;
  }

  async open(): Promise<ClientPersistence> {
    this.#persistence = await this.#choose();
    return this.#persistence;
  }

  /** Switches to memory when IndexedDB fails; a lost connection is reopened first. */
  degrade(problem: StorageProblem, message: string): Promise<void> {
    // One at a time: a failing commit and IndexedDB's own event often report the same failure.
    this.#degrading ??= this.#switch(problem, message).finally(() => {
      this.#degrading = undefined;
    });
    return this.#degrading;
  }

  close(): void {
    this.#closed = true;
    this.#persistence?.close();
  }

  async #choose(): Promise<ClientPersistence> {
    const { wanted, dbName, onStatus } = this.#options;
    if (typeof wanted === 'object') {
      onStatus({ kind: wanted.kind });
      return wanted;
    }
    if (wanted === 'memory' || (wanted === undefined && globalThis.indexedDB === undefined)) {
      onStatus({ kind: 'memory' });
      return new MemoryPersistence(dbName);
    }
    try {
      const idb = await this.#openIdb();
      onStatus({ kind: 'indexeddb' });
      return idb;
    } catch (err) {
      const problem = err instanceof PersistenceError ? err.problem : 'unavailable';
      onStatus({ kind: 'memory', problem, message: (err as Error).message });
      return new MemoryPersistence();
    }
  }

  #openIdb(): Promise<IdbPersistence> {
    return IdbPersistence.open(
      this.#options.dbName,
      (problem) => void this.degrade(problem, 'IndexedDB went away'),
      globalThis.indexedDB,
      this.#options.durability,
    );
  }

  async #switch(problem: StorageProblem, message: string): Promise<void> {
    if (this.#persistence?.kind !== 'indexeddb' || this.#closed) return;
    const failed = this.#persistence;
    if (problem === 'connection-lost') {
      try {
        this.#persistence = await this.#openIdb();
        this.#options.onStatus({ kind: 'indexeddb' });
        return;
      } catch {
        // fall through to memory
      }
    }
    failed.close();
    // Pending writes keep their outbox ids: new ones must not reuse them.
    this.#persistence = new MemoryPersistence(undefined, {
      outboxIdsAbove: this.#options.outboxIdsAbove,
    });
    this.#options.onStatus({ kind: 'memory', problem, message });
    this.#options.onFallback();
  }
}
