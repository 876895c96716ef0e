import {
  type AnyCrdtState,
  type AnyCrdtType,
  CausalContext,
  type DecodeLimits,
  type DocumentId,
} from '@helios/core';
import type { RelayStore } from './store/relay-store.js';
import { foldStored } from './store/stored-state.js';

/** A document as the relay holds it in memory. */
export interface RelayDocument {
  readonly id: DocumentId;
  readonly type: AnyCrdtType;
  readonly state: AnyCrdtState;
  /**
   * Every stored change of the document up to this seq is merged into `state` (0 for a document
   * not yet committed). With several nodes per region it moves only on reads of the store (a
   * commit's catch-up of another node's changes included: read-model.ts).
   */
  lastSeq: number;
  /** Seq of the newest snapshot, and changes merged since: drives compaction. */
  snapshotSeq: number;
  changesSinceSnapshot: number;
  /** Encoded bytes of the changes since the newest snapshot, and of that snapshot (see `Snapshots`). */
  changeBytesSinceSnapshot: number;
  snapshotBytes: number;
  /** Clients of this node subscribed to it; documents without any may be evicted. */
  subscribers: number;
  /**
   * Dots of this document this node has announced as durable in every region (since it loaded
   * the document): a subscriber that missed the live announcement gets them on subscribe.
   */
  readonly replicated: CausalContext;
}

/**
 * The documents this relay node has in memory, loaded on demand from the store (snapshot plus
 * the changes after it) and evicted, least recently used first, when there are too many.
 * Concurrent loads of one document share a single read.
 */
export class DocumentCache {
  readonly #store: RelayStore;
  readonly #limits: DecodeLimits;
  readonly #max: number;
  readonly #docs = new Map<DocumentId, RelayDocument>();
  readonly #loading = new Map<DocumentId, Promise<RelayDocument | undefined>>();
  /** The most recently used document: a push's entries hit one document over and over. */
  #newest: RelayDocument | undefined;

  constructor(store: RelayStore, limits: DecodeLimits, maxDocuments = 10_000) {
    this.#store = store;
    this.#limits = limits;
    this.#max = maxDocuments;
  }

  /** The document if it is in memory already, without touching the store. */
  peek(id: DocumentId): RelayDocument | undefined {
    return this.#docs.get(id);
  }

  /** The document if it is in memory, marked as the most recently used; no store read. */
  hit(id: DocumentId): RelayDocument | undefined {
    const doc = this.#docs.get(id);
    if (doc !== undefined && doc !== this.#newest) {
      // Map order is insertion order: re-inserting makes it the most recently used.
      this.#docs.delete(id);
      this.#docs.set(id, doc);
      this.#newest = doc;
    }
    return doc;
  }

  /** Loads a document; `undefined` if it was never committed and is not being created. */
  async get(id: DocumentId): Promise<RelayDocument | undefined> {
    const doc = this.hit(id);
    if (doc !== undefined) return doc;
    let pending = this.#loading.get(id);
    if (pending === undefined) {
      pending = this.#load(id).finally(() => this.#loading.delete(id));
      this.#loading.set(id, pending);
    }
    return pending;
  }

  /** The document, created empty with `type` if the store has none. */
  async getOrCreate(id: DocumentId, type: AnyCrdtType): Promise<RelayDocument> {
    // Another caller waiting on the same load may have created it first: there must be one
    // object per document, or what is merged into the other one is lost from memory.
    const existing = (await this.get(id)) ?? this.#docs.get(id);
    if (existing !== undefined) return existing;
    const doc: RelayDocument = {
      id,
      type,
      state: type.empty(),
      lastSeq: 0,
      snapshotSeq: 0,
      changesSinceSnapshot: 0,
      changeBytesSinceSnapshot: 0,
      snapshotBytes: 0,
      subscribers: 0,
      replicated: new CausalContext(),
    };
    this.#remember(doc);
    return doc;
  }

  /** Forgets a document, e.g. after a failed commit, so the next access reloads it. */
  evict(id: DocumentId): void {
    if (this.#newest?.id === id) this.#newest = undefined;
    this.#docs.delete(id);
  }

  async #load(id: DocumentId): Promise<RelayDocument | undefined> {
    const stored = await this.#store.load(id);
    const raced = this.#docs.get(id);
    if (raced !== undefined) return raced;
    if (stored === undefined) return undefined;
    const folded = foldStored(stored, this.#limits);
    if (folded === undefined) return undefined;
    const { type, state, lastSeq } = folded;
    const doc: RelayDocument = {
      id,
      type,
      state,
      lastSeq,
      snapshotSeq: stored.snapshotSeq,
      changesSinceSnapshot: stored.changes.length,
      changeBytesSinceSnapshot: stored.changes.reduce((sum, c) => sum + c.delta.length, 0),
      snapshotBytes: stored.snapshot?.length ?? 0,
      subscribers: 0,
      replicated: new CausalContext(),
    };
    this.#remember(doc);
    return doc;
  }

  #remember(doc: RelayDocument): void {
    this.#docs.set(doc.id, doc);
    this.#newest = doc;
    if (this.#docs.size <= this.#max) return;
    for (const [id, candidate] of this.#docs) {
      if (this.#docs.size <= this.#max) break;
      if (candidate.subscribers === 0 && candidate !== doc) this.#docs.delete(id);
    }
  }
}
