import { HeliosError } from '@helios/core';
import type { StorageProblem } from '../status.js';

/** A document as stored locally: its newest snapshot and the deltas after it. */
export interface StoredDocument {
  readonly snapshot: Uint8Array | null;
  readonly deltas: readonly Uint8Array[];
}

/** A write of this client waiting for a relay's acknowledgement. */
export interface OutboxEntry {
  /** Unique per browser profile (the key in the outbox store); also the push id. */
  readonly id: number;
  readonly doc: string;
  readonly delta: Uint8Array;
}

/** One delta to make durable; `outbox` marks this client's own writes. */
export interface PendingWrite {
  readonly doc: string;
  readonly delta: Uint8Array;
  readonly outbox: boolean;
}

/** What one commit makes durable, in one transaction. */
export interface CommitBatch {
  /** Deltas to store, in order. */
  readonly writes: readonly PendingWrite[];
  /**
   * Outbox entries a relay acknowledged (or refused for good): they leave the outbox and stay
   * part of their document (IndexedDB moves them to its log).
   */
  readonly settled: readonly OutboxEntry[];
}

/**
 * Where a client keeps documents, its outbox and its metadata. Two implementations share one
 * conformance suite: IndexedDB (through idb) and memory. Clients of the same browser profile
 * (tabs) open the same database and see each other's commits.
 */
export interface ClientPersistence {
  readonly kind: 'indexeddb' | 'memory';
  /**
   * Snapshot plus deltas of `doc` (empty for an unknown document): every delta committed and not
   * folded into the snapshot, own writes still in the outbox included, in no particular order.
   */
  load(doc: string): Promise<StoredDocument>;
  /**
   * Makes the writes durable and takes the settled entries out of the outbox, in one
   * transaction, in order. Resolves with the outbox id of each own write (undefined for the
   * others).
   */
  commit(batch: CommitBatch): Promise<(number | undefined)[]>;
  /**
   * Replaces the stored snapshot and deltas of `doc` by `fold(snapshot, deltas)`, atomically:
   * deltas committed meanwhile by another tab are kept.
   */
  compact(doc: string, fold: (stored: StoredDocument) => Uint8Array): Promise<void>;
  /** Every outbox entry, oldest first. */
  outbox(): Promise<OutboxEntry[]>;
  /**
   * The replica id of slot `index`, created with `create()` on first use. Slot ids survive
   * restarts: they are what keeps the replicas of a browser profile few.
   */
  slot(index: number, create: () => string): Promise<string>;
  /**
   * Every replica id a slot of this profile ever had. The outbox holds the writes of all of
   * them (a crashed tab's too), so a client pushing it must be allowed to write as each.
   */
  slotIds(): Promise<string[]>;
  /**
   * Gives slot `index` the replica id `id` from now on (its epoch was superseded,
   * docs/compaction.md). The old id stays among {@link slotIds}: the outbox may hold its writes.
   * Optional for persistences written before it: without it a client keeps its slot's id until
   * a relay refuses it as retired, and then renews it for the session only.
   */
  renewSlot?(index: number, id: string): Promise<void>;
  getMeta(key: string): Promise<unknown>;
  setMeta(key: string, value: unknown): Promise<void>;
  close(): void;
}

/**
 * Thrown by persistence operations; its code (also `problem`) says what went wrong, as the
 * status reports it (`status.storage.problem`).
 */
export class PersistenceError extends HeliosError<StorageProblem> {
  /** The same as `code`: the storage problem this error reports. */
  get problem(): StorageProblem {
    return this.code;
  }
}
