interface Waiting<T, R> {
  readonly item: T;
  readonly resolve: (result: R) => void;
  readonly reject: (err: unknown) => void;
}

/**
 * Calls gathered into groups: the items queued in one turn of the event loop go to the store
 * together, in one call and one transaction (a thousand clients reconnecting after a restart make
 * a few replica-claim transactions, not a thousand, and their documents load in a few reads; the
 * snapshots taken in one turn are one write). A batch
 * is sent at the end of its turn even while an earlier one is being written: the store writes
 * them in order, and an item must not wait for more than the calls sent before it (a claim
 * holds up a connection's handshake). `write` answers each item of a batch, in order.
 */
export class TurnBatches<T, R> {
  readonly #write: (items: readonly T[]) => Promise<readonly R[]>;
  /** Items per batch at most: a batch stays one short write however many arrive at once. */
  readonly #maxBatch: number;
  #queued: Waiting<T, R>[] = [];

  constructor(write: (items: readonly T[]) => Promise<readonly R[]>, maxBatch: number) {
    this.#write = write;
    this.#maxBatch = maxBatch;
  }

  /** Resolves to the item's answer once the batch holding it is written. */
  add(item: T): Promise<R> {
    return new Promise((resolve, reject) => {
      this.#queued.push({ item, resolve, reject });
      if (this.#queued.length === 1) setImmediate(() => this.flush());
    });
  }

  /** Sends what is queued now, without waiting for the end of the turn (before a close). */
  flush(): void {
    while (this.#queued.length > 0) {
      const batch = this.#queued.splice(0, this.#maxBatch);
      this.#write(batch.map((w) => w.item)).then(
        (results) => {
          batch.forEach((w, i) => {
            w.resolve(results[i]!);
          });
        },
        (err: unknown) => {
          for (const w of batch) w.reject(err);
        },
      );
    }
  }
}
