import { TokenBucket } from './rate-limiter.js';

/** What one party (a connection, or a user over all its connections) may spend per second. */
export interface BudgetRates {
  /** Frames received, of any event and any payload. */
  readonly framesPerSecond: number;
  /** Bytes of those frames. */
  readonly bytesPerSecond: number;
  /** Push entries, and documents named in subscribe and unsubscribe messages. */
  readonly entriesPerSecond: number;
}

/** One party's token buckets, each with a burst of twice its rate. */
export class Budget {
  readonly frames: TokenBucket;
  readonly bytes: TokenBucket;
  readonly entries: TokenBucket;

  constructor(rates: BudgetRates, now: () => number) {
    const bucket = (rate: number) => new TokenBucket(rate, rate * 2, now);
    this.frames = bucket(rates.framesPerSecond);
    this.bytes = bucket(rates.bytesPerSecond);
    this.entries = bucket(rates.entriesPerSecond);
  }

  /** Whether nothing was spent lately (every bucket is full again). */
  get idle(): boolean {
    return this.frames.full && this.bytes.full && this.entries.full;
  }
}

/**
 * What a connection spends, charged to its own budget and to its user's at once: it may go on
 * when neither is in debt. Work already received is charged in full (the budgets go into debt)
 * and the connection then waits until they are repaid, so a client is slowed to its budget
 * rather than having its messages dropped.
 */
export class Spending {
  readonly #budgets: readonly Budget[];

  constructor(budgets: readonly Budget[]) {
    this.#budgets = budgets;
  }

  /** Charges one received frame of `bytes`; returns how long to wait before reading more (ms). */
  frame(bytes: number): number {
    let wait = 0;
    for (const b of this.#budgets) {
      b.frames.charge(1);
      b.bytes.charge(bytes);
      wait = Math.max(wait, b.frames.msUntil(), b.bytes.msUntil());
    }
    return wait;
  }

  /** How long until more entries may be handled (ms): until no budget is in debt. */
  entriesWait(): number {
    let wait = 0;
    for (const b of this.#budgets) wait = Math.max(wait, b.entries.msUntil());
    return wait;
  }

  /** Charges `n` entries about to be handled. */
  entries(n: number): void {
    for (const b of this.#budgets) b.entries.charge(n);
  }
}
