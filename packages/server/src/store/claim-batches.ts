/** A replica id and the user that claims it. */
export interface ReplicaClaim {
  readonly replica: string;
  readonly user: string;
}

/** Claims per transaction at most: a batch stays one short write however many arrive at once. */
const MAX_BATCH = 1_000;

interface Waiting {
  readonly claim: ReplicaClaim;
  readonly resolve: (owner: string) => void;
  readonly reject: (err: unknown) => void;
}

/**
 * Replica claims gathered into group commits: the claims made in one turn of the event loop go
 * to the store together, in one transaction (one fsync: a thousand clients reconnecting after a
 * restart make a few transactions, not a thousand). A batch is sent at the end of its turn even
 * while an earlier one is being written: the store writes them in order, and a claim must not
 * wait for more than the calls sent before it (it holds up a connection's handshake). `write`
 * binds each free replica of a batch to its claimant in call order and answers each claim's
 * owner (see `RelayStore.claimReplica`).
 */
export class ClaimBatches {
  readonly #write: (claims: readonly ReplicaClaim[]) => Promise<readonly string[]>;
  #queued: Waiting[] = [];

  constructor(write: (claims: readonly ReplicaClaim[]) => Promise<readonly string[]>) {
    this.#write = write;
  }

  /** Resolves to the replica's owner once the batch holding the claim is committed. */
  claim(replica: string, user: string): Promise<string> {
    return new Promise((resolve, reject) => {
      this.#queued.push({ claim: { replica, user }, resolve, reject });
      if (this.#queued.length === 1) setImmediate(() => this.#send());
    });
  }

  #send(): void {
    while (this.#queued.length > 0) {
      const batch = this.#queued.splice(0, MAX_BATCH);
      this.#write(batch.map((w) => w.claim)).then(
        (owners) => {
          batch.forEach((w, i) => {
            w.resolve(owners[i]!);
          });
        },
        (err: unknown) => {
          for (const w of batch) w.reject(err);
        },
      );
    }
  }
}
