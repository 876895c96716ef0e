import { randomBytes } from 'node:crypto';
import type { DocumentId } from '@helios/core';
import { StoreClosedError } from './errors.js';
import { checkBatch, checkName, checkNotAhead, checkSeq, highestCursors } from './internal.js';
import type { CommitBatch, RelayStore, StoredChange, StoredDocument } from './relay-store.js';

/** Options of {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /** The relay's region: changes of this origin form its feed. */
  readonly region: string;
}

interface DocEntry {
  /** Every retained change of the document, in seq order (covered feed changes included). */
  changes: StoredChange[];
  lastSeq: number;
  snapshot: { readonly seq: number; readonly state: Uint8Array } | null;
}

/**
 * A {@link RelayStore} in process memory, for tests and throwaway relays: same semantics as the
 * durable stores (it passes the same conformance suite) but nothing survives the process. Bytes
 * are copied in and out so that callers mutating their arrays cannot change what was "stored".
 */
export class MemoryStore implements RelayStore {
  readonly region: string;
  /** Nothing survives the instance, so each instance is a store of its own. */
  readonly epoch = randomBytes(8).toString('hex');
  #closed = false;
  #lastSeq = 0;
  #released = 0;
  readonly #docs = new Map<DocumentId, DocEntry>();
  /** The retained own-origin changes, in seq order: the feed. */
  #feed: StoredChange[] = [];
  readonly #cursors = new Map<string, number>();
  readonly #replicas = new Map<string, string>();

  constructor(options: MemoryStoreOptions) {
    checkName('region', options.region);
    this.region = options.region;
  }

  async load(doc: DocumentId): Promise<StoredDocument | undefined> {
    this.#open();
    const entry = this.#docs.get(doc);
    if (entry === undefined) return undefined;
    const snapshotSeq = entry.snapshot?.seq ?? 0;
    return {
      snapshot: entry.snapshot === null ? null : new Uint8Array(entry.snapshot.state),
      snapshotSeq,
      changes: entry.changes.filter((c) => c.seq > snapshotSeq).map(copyChange),
    };
  }

  async commit(batch: CommitBatch): Promise<number[]> {
    this.#open();
    checkBatch(batch);
    const seqs: number[] = [];
    for (const change of batch.changes) {
      const stored = copyChange({ ...change, seq: ++this.#lastSeq });
      const entry = this.#entry(change.doc);
      entry.changes.push(stored);
      entry.lastSeq = stored.seq;
      if (stored.origin === this.region) this.#feed.push(stored);
      seqs.push(stored.seq);
    }
    for (const [peer, upTo] of highestCursors(batch)) {
      this.#cursors.set(peer, Math.max(this.#cursors.get(peer) ?? 0, upTo));
    }
    return seqs;
  }

  async saveSnapshot(doc: DocumentId, snapshot: Uint8Array, upToSeq: number): Promise<void> {
    this.#open();
    checkSeq('upToSeq', upToSeq);
    checkNotAhead('upToSeq', upToSeq, this.#lastSeq);
    const entry = this.#entry(doc);
    // A snapshot older than the stored one must not replace it: the changes between them are gone.
    if (entry.snapshot === null || entry.snapshot.seq <= upToSeq) {
      entry.snapshot = { seq: upToSeq, state: new Uint8Array(snapshot) };
    }
    this.#reclaim(doc, entry);
  }

  async readFeed(after: number, limit: number): Promise<StoredChange[]> {
    this.#open();
    checkSeq('after', after);
    checkSeq('limit', limit);
    let lo = 0;
    let hi = this.#feed.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#feed[mid]!.seq <= after) lo = mid + 1;
      else hi = mid;
    }
    return this.#feed.slice(lo, lo + limit).map(copyChange);
  }

  async feedStart(): Promise<number> {
    this.#open();
    return this.#released;
  }

  async documents(after: DocumentId, limit: number): Promise<DocumentId[]> {
    this.#open();
    checkSeq('limit', limit);
    return [...this.#docs.keys()]
      .filter((doc) => doc > after)
      .sort()
      .slice(0, limit);
  }

  async getCursor(peer: string): Promise<number> {
    this.#open();
    return this.#cursors.get(peer) ?? 0;
  }

  async release(upTo: number): Promise<void> {
    this.#open();
    checkSeq('upTo', upTo);
    checkNotAhead('upTo', upTo, this.#lastSeq);
    this.#released = Math.max(this.#released, upTo);
    for (const [doc, entry] of this.#docs) this.#reclaim(doc, entry);
  }

  async claimReplica(replica: string, user: string): Promise<string> {
    this.#open();
    checkName('replica', replica);
    checkName('user', user);
    const owner = this.#replicas.get(replica);
    if (owner !== undefined) return owner;
    this.#replicas.set(replica, user);
    return user;
  }

  async lastSeq(doc: DocumentId): Promise<number> {
    this.#open();
    return this.#docs.get(doc)?.lastSeq ?? 0;
  }

  /** Number of retained changes (feed changes kept for peers included), for metrics and tests. */
  async countChanges(): Promise<number> {
    this.#open();
    let count = 0;
    for (const entry of this.#docs.values()) count += entry.changes.length;
    return count;
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  /** Drops the changes a snapshot covers, except feed changes peers have not all merged. */
  #reclaim(doc: DocumentId, entry: DocEntry): void {
    const covered = entry.snapshot?.seq ?? 0;
    const gone = (c: StoredChange) =>
      c.seq <= covered && (c.origin !== this.region || c.seq <= this.#released);
    if (!entry.changes.some(gone)) return;
    entry.changes = entry.changes.filter((c) => !gone(c));
    this.#feed = this.#feed.filter((c) => c.doc !== doc || !gone(c));
  }

  #entry(doc: DocumentId): DocEntry {
    let entry = this.#docs.get(doc);
    if (entry === undefined) {
      entry = { changes: [], lastSeq: 0, snapshot: null };
      this.#docs.set(doc, entry);
    }
    return entry;
  }

  #open(): void {
    if (this.#closed) throw new StoreClosedError('MemoryStore');
  }
}

function copyChange(change: StoredChange): StoredChange {
  return {
    seq: change.seq,
    doc: change.doc,
    origin: change.origin,
    delta: new Uint8Array(change.delta),
  };
}
