import type { DocumentId, JsonValue } from '@helios/core';

/**
 * One durable change: a delta merged into a document, in commit order. `origin` is the region
 * through which the delta entered the system: the relay's own region for deltas pushed by its
 * clients, a peer's region for deltas replicated from there. A relay's *feed* is its changes of
 * its own origin; peers pull it by `seq`.
 */
export interface StoredChange {
  /** Position in this store's commit order: increasing, assigned at commit. */
  readonly seq: number;
  readonly doc: DocumentId;
  /**
   * The encoded delta (`CrdtType.encode`): a client's as it pushed it, or the join of one
   * client's deltas to this document in one push.
   */
  readonly delta: Uint8Array;
  readonly origin: string;
  /**
   * On a change just committed to a store several relay nodes share: the seq of its document's
   * change before it (0 for none), with no change of the document between the two (see
   * {@link CommitOutcome.priors}). Unset everywhere else.
   */
  readonly prior?: number;
}

/** A change to append; the store assigns its `seq`. */
export type NewChange = Omit<StoredChange, 'seq'>;

/** What the relay needs to rebuild a document: its newest snapshot and the changes after it. */
export interface StoredDocument {
  /** Encoded state of the whole document up to `snapshotSeq`, or null before the first one. */
  readonly snapshot: Uint8Array | null;
  /** The highest change seq folded into `snapshot` (0 without a snapshot). */
  readonly snapshotSeq: number;
  /** Changes of this document with seq > snapshotSeq, in seq order. */
  readonly changes: readonly StoredChange[];
}

/**
 * A document's value after a commit, in its JSON form (`CrdtType.toJson`): what a store with a
 * read model ({@link RelayStore.keepsValues}) writes in the commit's own transaction.
 */
export interface DocumentValue {
  readonly doc: DocumentId;
  /** The CRDT type's name, e.g. `pn-counter` or `or-map<aw-set>`. */
  readonly type: string;
  /** The JSON text of the value. */
  readonly json: string;
  /**
   * Every stored change of `doc` up to this seq is in the value, as are the batch's own. Set
   * when several relay nodes share the store: another node may have committed a change this
   * one has not merged. A store that finds such a change hands what it holds of the document
   * after `basis` to {@link catchUp}, within the commit, and writes the value that returns.
   * Unset: the value holds every change of the document.
   */
  readonly basis?: number;
  /**
   * Merges `missed` (the stored snapshot of the document if it is past `basis`, and the stored
   * changes after `basis` and after that snapshot) into the state the value came from, and
   * returns the JSON of the value then. Given with `basis`.
   */
  readonly catchUp?: (missed: StoredDocument) => string;
}

/**
 * A write queued outside the relay (the Postgres store's SQL functions, docs/sql.md), which the
 * relay applies as a delta of its own replica. `op` names the mutation; `key`, when set, is the
 * map key whose value it changes; `arg` is the amount, value or element, as JSON.
 */
export interface WriteRequest {
  readonly id: number;
  readonly doc: DocumentId;
  readonly op: 'increment' | 'set' | 'add' | 'remove';
  readonly key: string | null;
  readonly arg: JsonValue;
}

/** Where queued {@link WriteRequest}s wait, for the one relay node that applies them. */
export interface WriteRequestQueue {
  /** The replica id the relay's writes are made as: bound to the store, no client's. */
  readonly replica: string;
  /**
   * This node's turn at applying the requests, while it has it (undefined otherwise): every
   * commit of a request carries it, and a store shared by several nodes refuses the commit
   * (`fenced`) once another node has taken the turn, so two nodes never mint dots of
   * {@link replica} at once, even while one of them has not yet noticed that it lost its turn.
   */
  readonly fence: SlotFence | undefined;
  /**
   * Calls `wake` whenever requests may be waiting, as long as this node is the one applying
   * them (one node per store at a time; another takes over when it is gone). Returns how to stop.
   */
  watch(wake: () => void, onError: (err: unknown) => void): { stop(): Promise<void> };
  /** The oldest waiting requests, at most `limit`. */
  pending(limit: number): Promise<WriteRequest[]>;
  /** Refuses a request the relay cannot apply, with the reason its writer can read. */
  fail(id: number, reason: string): Promise<void>;
}

/**
 * A node's claim on one slot of a shared store ({@link RelaySlots}): the slot, and the
 * generation its claim set. A commit that carries it is refused once another claim has moved
 * the slot's generation on.
 */
export interface SlotFence {
  readonly slot: number;
  readonly generation: number;
}

/** A node slot held by this node, for as long as its lock lasts. */
export interface RelaySlot extends SlotFence {
  /**
   * Resolves once the slot is no longer this node's: its lock's connection ended, or a commit
   * fenced by it was refused. Commits fenced by it fail from then on.
   */
  readonly lost: Promise<void>;
  /** Gives the slot up (its lock goes; its generation stays until the next claim). */
  release(): Promise<void>;
}

/**
 * The node slots of a store shared by several relay nodes of one region: each node holds one
 * for its life, and mints its own replica's dots (docs/architecture.md §5.2) only while it does.
 * A slot is held by a lock that ends with its holder's connection, so a dead node's slot is
 * free for the next node, which continues its replica's dots from the stored documents.
 */
export interface RelaySlots {
  /**
   * Claims the lowest free slot below `count`, moving its generation on (which waits for the
   * commits fenced by the slot's previous generation in flight); undefined when all are held.
   */
  claim(count: number): Promise<RelaySlot | undefined>;
}

/** Everything one group commit writes, atomically and durably. */
export interface CommitBatch {
  readonly changes: readonly NewChange[];
  /**
   * The {@link WriteRequest}s the batch's changes apply: removed from the queue in the same
   * transaction, so each is applied exactly once, however the relay stops.
   */
  readonly requests?: readonly number[];
  /**
   * The value of each document the batch changes, once it is merged: given only to a store
   * that {@link RelayStore.keepsValues}, and written in the same transaction as the changes.
   */
  readonly values?: readonly DocumentValue[];
  /**
   * Feed positions of peers merged in this batch: `peer`'s feed has been merged up to `upTo`.
   * Stored in the same transaction as the changes, so a restart resumes exactly there.
   */
  readonly cursors?: readonly { readonly peer: string; readonly upTo: number }[];
  /**
   * The node slots whose replica's dots the batch mints (given only to a store with
   * {@link RelayStore.relaySlots}): the store checks, in the commit's transaction, that each
   * slot is still at that generation, and refuses the whole batch with a `StoreError`
   * `fenced` otherwise, so two nodes never commit dots of one replica.
   */
  readonly fences?: readonly SlotFence[];
}

/**
 * The relay's durable storage, for one region (`region` names the origin of its own feed). Three implementations share one conformance suite: SQLite (the
 * embedded default), Postgres (shared by several relay nodes of one region) and memory (tests).
 *
 * Every method may be called concurrently; `commit` calls are applied in call order.
 */
export interface RelayStore {
  /**
   * A random id created with the store and kept for its life. A store that was lost and
   * recreated, even for the same region, has another epoch: its seqs start again at 1, so a
   * peer's cursor into the old store's feed means nothing in the new one.
   */
  readonly epoch: string;

  /**
   * Whether the store keeps a queryable read model of the documents' values (the Postgres
   * store's `document_values`): then the relay gives each commit the changed documents'
   * {@link CommitBatch.values}. Other stores leave it unset and the relay computes none.
   */
  readonly keepsValues?: boolean;

  /** The node slots of a store several nodes share (the Postgres store), if it has them. */
  readonly relaySlots?: RelaySlots;

  /** Writes queued for the relay to apply (the Postgres store's SQL writes), if the store has any. */
  readonly writeRequests?: WriteRequestQueue;

  /** Loads a document, or `undefined` if no change of it was ever committed. */
  load(doc: DocumentId): Promise<StoredDocument | undefined>;

  /**
   * Appends the batch in one durable transaction and returns the assigned seqs, in order.
   * Resolves only after the data would survive a crash of the process (and, for SQLite and
   * Postgres, of the machine).
   */
  commit(batch: CommitBatch): Promise<number[]>;

  /**
   * {@link commit}, also telling where each change sits among its document's changes
   * ({@link CommitOutcome}). A store several relay nodes share has it: the relay then tells the
   * other nodes, with each change, the seq of its document's change before it, and a node that
   * holds every change up to that one counts itself current with the new one, so its own next
   * commit of the document is not refused for lacking it. Other stores leave it out.
   */
  commitShared?(batch: CommitBatch): Promise<CommitOutcome>;

  /**
   * How many changes of a document a new snapshot of it is worth, when the relay's options do
   * not say (`RelayOptions.snapshotEvery`; absent: 500). A snapshot costs a write and saves the
   * next load the fold of the changes it covers: a store whose snapshot writes are cheap takes
   * them often.
   */
  readonly snapshotEvery?: number;

  /**
   * Records a snapshot of `doc` covering every change of it with seq <= `upToSeq`, then deletes
   * the covered changes, except changes of the store's own region (its feed) that peers may
   * still need: those stay until {@link release} covers them. Load cost then depends on the
   * snapshot and the changes after it, not on the history.
   */
  saveSnapshot(doc: DocumentId, snapshot: Uint8Array, upToSeq: number): Promise<void>;

  /** This region's feed: its own-origin changes with seq > `after`, in order, at most `limit`. */
  readFeed(after: number, limit: number): Promise<StoredChange[]>;

  /**
   * Where the feed is complete: every own-origin change with seq > `feedStart()` is in it;
   * changes at or below may be gone ({@link release} moves it). A peer that needs the feed
   * from lower has to be sent the documents' states instead (a backfill).
   */
  feedStart(): Promise<number>;

  /**
   * The ids of every document ever committed that sort after `after` (`''` for the first page),
   * in the store's order of ids, at most `limit`: pages through all documents for a backfill.
   */
  documents(after: DocumentId, limit: number): Promise<DocumentId[]>;

  /** The position up to which this relay has merged `peer`'s feed (0 if never). */
  getCursor(peer: string): Promise<number>;

  /**
   * Every peer has merged this region's feed up to `upTo`: feed changes up to there may go
   * once a snapshot covers them (now for those already covered, later for the others).
   */
  release(upTo: number): Promise<void>;

  /**
   * Binds a replica id to a user on first use. Resolves to the user that owns the replica:
   * `user` if it was free or already theirs, someone else's id otherwise.
   */
  claimReplica(replica: string, user: string): Promise<string>;

  /** Highest committed seq of `doc` (0 if none): lets a node notice changes made by another. */
  lastSeq(doc: DocumentId): Promise<number>;

  close(): Promise<void>;
}

/**
 * What a commit to a store several relay nodes share tells besides the seqs: where each change
 * sits among its document's changes, so that the other nodes, hearing of it, can tell whether
 * they now hold every change of the document up to it (see `RelayNode`'s notices).
 */
export interface CommitOutcome {
  /** The seqs assigned, in the batch's order (what `RelayStore.commit` returns). */
  readonly seqs: number[];
  /**
   * Per change, the seq of its document's change before it in the store (0 for none): no
   * change of the document lies between the two. A node holding every change of the document
   * up to that one holds every change up to this one once it has merged it.
   */
  readonly priors: number[];
  /**
   * The commit was first refused because a value lacked another node's change, and was redone
   * in a transaction holding the region's head row (`PostgresStore`).
   */
  readonly redone: boolean;
}
