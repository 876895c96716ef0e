import type { CommitBatch, NewChange, RelayStore } from './store/relay-store.js';

/** Changes that must land in one transaction, with the peer cursor they advance (if any). */
export interface CommitUnit {
  readonly changes: readonly NewChange[];
  readonly cursor?: { readonly peer: string; readonly upTo: number };
}

interface Pending {
  readonly unit: CommitUnit;
  readonly resolve: (seqs: number[]) => void;
  readonly reject: (err: unknown) => void;
}

/**
 * Group commit: units queued while a commit is in flight are written together by the next one,
 * so a busy relay pays one durable write for many deltas while every ack still follows the
 * commit of its delta. Units commit in the order they were queued.
 */
export class CommitQueue {
  readonly #store: RelayStore;
  readonly #maxChanges: number;
  readonly #observe: (seconds: number, changes: number) => void;
  #queue: Pending[] = [];
  #running: Promise<void> | undefined;

  constructor(
    store: RelayStore,
    maxChanges: number,
    observe: (seconds: number, changes: number) => void = () => {},
  ) {
    this.#store = store;
    this.#maxChanges = maxChanges;
    this.#observe = observe;
  }

  /** Queues a unit; resolves with the seqs of its changes once they are durable. */
  commit(unit: CommitUnit): Promise<number[]> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ unit, resolve, reject });
      this.#running ??= this.#drain();
    });
  }

  /** Resolves when everything queued so far is committed (or failed). */
  async flush(): Promise<void> {
    while (this.#running) await this.#running;
  }

  async #drain(): Promise<void> {
    // Let the current tick's pushes join the first batch.
    await new Promise<void>((r) => setImmediate(r));
    while (this.#queue.length > 0) {
      const batch: Pending[] = [];
      let size = 0;
      while (this.#queue.length > 0 && (batch.length === 0 || size < this.#maxChanges)) {
        const next = this.#queue.shift()!;
        batch.push(next);
        size += next.unit.changes.length;
      }
      const changes: NewChange[] = [];
      const cursors: { peer: string; upTo: number }[] = [];
      for (const p of batch) {
        changes.push(...p.unit.changes);
        if (p.unit.cursor) cursors.push(p.unit.cursor);
      }
      const payload: CommitBatch = cursors.length > 0 ? { changes, cursors } : { changes };
      const started = performance.now();
      try {
        // A batch of barriers alone (see RelayNode.confirmReplay) has nothing to write.
        const empty = changes.length === 0 && cursors.length === 0;
        const seqs = empty ? [] : await this.#store.commit(payload);
        this.#observe((performance.now() - started) / 1000, changes.length);
        let at = 0;
        for (const p of batch) {
          p.resolve(seqs.slice(at, at + p.unit.changes.length));
          at += p.unit.changes.length;
        }
      } catch (err) {
        for (const p of batch) p.reject(err);
      }
    }
    this.#running = undefined;
  }
}
