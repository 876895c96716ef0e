import type { ClientStorage } from './client-storage.js';
import type { DocumentRegistry } from './document-registry.js';
import type { Outbox, OutboxItem } from './outbox.js';
import { PersistenceError } from './persistence/persistence.js';
import type { QueuedWrite } from './queued-write.js';
import { foldStored } from './stored-state.js';
import type { TabSync } from './tab-sync.js';

export interface CommitPipelineOptions {
  readonly storage: ClientStorage;
  readonly outbox: Outbox;
  readonly tabs: TabSync | undefined;
  readonly documents: DocumentRegistry;
  /** Pushes freshly stored own writes to the relay. */
  readonly push: (items: readonly OutboxItem[]) => void;
  /** Stored deltas of a document after which it is compacted into a snapshot. */
  readonly compactEvery: number;
}

/**
 * Makes deltas durable, one transaction per task: every write of a task (and, once a second at
 * most, the settled outbox entries) goes into one commit, commits run one after the other, and only a
 * committed own write is pushed. Other tabs hear of a commit's own writes as it starts where they
 * can watch this tab, else once it is stored (`TabSync`). A commit that fails switches storage
 * to memory and is tried once more there.
 */
export class CommitPipeline {
  readonly #options: CommitPipelineOptions;
  #queue: QueuedWrite[] = [];
  #committing: Promise<void> = Promise.resolve();
  #scheduled = false;
  /** Whether the next commit takes the settled outbox entries (see `Outbox`). */
  #settle = false;

  constructor(options: CommitPipelineOptions) {
    this.#options = options;
  }

  /** Resolves when the commits scheduled so far are done. */
  get idle(): Promise<void> {
    return this.#committing;
  }

  enqueue(write: QueuedWrite): void {
    this.#queue.push(write);
    this.schedule();
  }

  /**
   * Commits `write` at once, ahead of the commits waiting in line, which may depend on it: for
   * another tab's write stored in its stead (see `OtherTabWrites`). IndexedDB runs this
   * transaction before any created after it over the same stores.
   */
  commitNow(write: QueuedWrite): Promise<void> {
    return this.#commit([write]);
  }

  /**
   * Schedules a commit at the end of this task; with `settle`, it also takes the settled entries
   * out of the stored outbox (even with no write to commit).
   */
  schedule(settle = false): void {
    if (settle) this.#settle = true;
    if (this.#scheduled) return;
    this.#scheduled = true;
    // Every write of this task goes into one transaction.
    queueMicrotask(() => {
      this.#scheduled = false;
      const batch = this.#queue;
      this.#queue = [];
      this.#committing = this.#committing.then(() => this.#commit(batch));
    });
  }

  async #commit(batch: QueuedWrite[]): Promise<void> {
    const { storage, outbox, tabs, documents } = this.#options;
    if (batch.some((w) => w.after !== undefined)) await Promise.all(batch.map((w) => w.after));
    const writes = batch.map((w) => ({
      doc: w.doc,
      delta: w.delta,
      outbox: w.receipt !== undefined,
    }));
    const settled = this.#settle ? outbox.takeSettled() : [];
    this.#settle = false;
    if (writes.length === 0 && settled.length === 0) return;
    let ids: (number | undefined)[];
    // The transaction's requests are placed by this call; the post overlaps its run.
    const committing = storage.current.commit({ writes, settled });
    const shared = tabs?.starting(batch);
    try {
      try {
        ids = await committing;
      } catch (err) {
        const problem = err instanceof PersistenceError ? err.problem : 'unavailable';
        await storage.degrade(problem, (err as Error).message);
        ids = await storage.current.commit({ writes, settled });
      }
    } catch (again) {
      for (const w of batch) w.receipt?.fail(again as Error);
      if (shared) tabs?.settle(shared, false);
      return;
    }
    const pushes: OutboxItem[] = [];
    batch.forEach((w, i) => {
      const id = ids[i];
      if (w.receipt !== undefined && id !== undefined) {
        const item: OutboxItem = { id, doc: w.doc, delta: w.delta, receipt: w.receipt };
        outbox.add(item);
        pushes.push(item);
        w.receipt.reach('local');
      }
      const doc = documents.get(w.doc);
      if (doc) {
        doc.storedSinceSnapshot++;
        doc.storedBytesSinceSnapshot += w.delta.length;
      }
    });
    // A dot leaves this profile only once its delta is stored. After the receipts: posting
    // costs this thread a fraction of a millisecond in Chromium, which no receipt should wait for.
    if (shared) tabs?.settle(shared, true);
    outbox.publish();
    this.#options.push(pushes);
    for (const doc of new Set(batch.map((w) => w.doc))) void this.#maybeCompact(doc);
  }

  async #maybeCompact(id: string): Promise<void> {
    const doc = this.#options.documents.get(id);
    if (!doc || doc.storedSinceSnapshot < this.#options.compactEvery) return;
    // Folding re-encodes the whole document on this thread: a large one waits until its log
    // weighs as much as its snapshot, so each write pays for about its own size.
    if (doc.storedBytesSinceSnapshot < doc.snapshotBytes) return;
    doc.storedSinceSnapshot = 0;
    doc.storedBytesSinceSnapshot = 0;
    const type = doc.type;
    await this.#options.storage.current
      .compact(id, (stored) => {
        const snapshot = type.encodeSnapshot(foldStored(type, stored));
        doc.snapshotBytes = snapshot.length;
        return snapshot;
      })
      .catch(() => {
        // Compaction is an optimisation: the deltas stay, and the next attempt retries.
      });
  }
}
