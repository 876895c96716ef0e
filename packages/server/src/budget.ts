import { TokenBucket } from './rate-limiter.js';

/** Rates of a {@link Budget}; each bucket holds twice its rate (a burst of two seconds). */
export interface BudgetRates {
  readonly framesPerSecond: number;
  readonly bytesPerSecond: number;
  /** Push entries, and documents named in subscribe and unsubscribe messages. */
  readonly entriesPerSecond: number;
}

/** What one piece of work costs against a {@link Budget}. */
export interface Cost {
  readonly frames?: number;
  readonly bytes?: number;
  readonly entries?: number;
}

/**
 * What a connection, or a user over all of its connections, may make the relay do per second:
 * frames of any event, their bytes, and the entries they carry. Work is charged as it comes and
 * may overdraw the budget; the owner then waits until it is paid back (see `ClientSession`).
 */
export class Budget {
  readonly #frames: TokenBucket;
  readonly #bytes: TokenBucket;
  readonly #entries: TokenBucket;

  constructor(rates: BudgetRates, now: () => number) {
    this.#frames = new TokenBucket(rates.framesPerSecond, rates.framesPerSecond * 2, now);
    this.#bytes = new TokenBucket(rates.bytesPerSecond, rates.bytesPerSecond * 2, now);
    this.#entries = new TokenBucket(rates.entriesPerSecond, rates.entriesPerSecond * 2, now);
  }

  /** Charges `cost`; whether the budget is in debt now. */
  charge(cost: Cost): boolean {
    let debt = false;
    if (cost.frames) debt = this.#frames.spend(cost.frames) || debt;
    if (cost.bytes) debt = this.#bytes.spend(cost.bytes) || debt;
    if (cost.entries) debt = this.#entries.spend(cost.entries) || debt;
    return debt;
  }

  /** Milliseconds until no bucket is in debt; 0 when none is. */
  msUntilPaid(): number {
    return Math.max(this.#frames.msUntil(0), this.#bytes.msUntil(0), this.#entries.msUntil(0));
  }

  /** Milliseconds until every bucket is full again: how long a user's state must be kept. */
  msUntilFull(): number {
    const full = Number.POSITIVE_INFINITY;
    return Math.max(
      this.#frames.msUntil(full),
      this.#bytes.msUntil(full),
      this.#entries.msUntil(full),
    );
  }
}
