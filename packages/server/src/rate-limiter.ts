/**
 * Token bucket that may go into debt: `ratePerSecond` tokens refill continuously up to `burst`,
 * and spending more than is there leaves the level below zero until the refill has paid it
 * back. Spending always succeeds, so a budget built on it slows its owner down instead of
 * refusing work it has already read.
 */
export class TokenBucket {
  readonly #rate: number;
  readonly #burst: number;
  readonly #now: () => number;
  #tokens: number;
  #last: number;

  constructor(ratePerSecond: number, burst: number, now: () => number = Date.now) {
    if (!(ratePerSecond > 0) || !(burst > 0)) {
      throw new RangeError('a token bucket needs a positive rate and burst');
    }
    this.#rate = ratePerSecond;
    this.#burst = burst;
    this.#now = now;
    this.#tokens = burst;
    this.#last = now();
  }

  /** Tokens there now: negative while in debt. */
  get level(): number {
    const t = this.#now();
    this.#tokens = Math.min(this.#burst, this.#tokens + ((t - this.#last) / 1000) * this.#rate);
    this.#last = t;
    return this.#tokens;
  }

  /** Spends `n` tokens, going into debt if there are fewer; whether it is in debt now. */
  spend(n: number): boolean {
    this.#tokens = this.level - n;
    return this.#tokens < 0;
  }

  /** Milliseconds until the level is back at `level` (capped at the burst); 0 if it is. */
  msUntil(level: number): number {
    const missing = Math.min(level, this.#burst) - this.level;
    return missing <= 0 ? 0 : Math.ceil((missing / this.#rate) * 1000);
  }
}
