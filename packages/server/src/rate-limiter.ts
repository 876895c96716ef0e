/**
 * Token bucket: `ratePerSecond` tokens refill continuously up to `burst`. One per connection
 * bounds how fast a client can make the relay work, without penalising short bursts.
 */
export class TokenBucket {
  readonly #rate: number;
  readonly #burst: number;
  readonly #now: () => number;
  #tokens: number;
  #last: number;

  constructor(ratePerSecond: number, burst: number, now: () => number = Date.now) {
    this.#rate = ratePerSecond;
    this.#burst = burst;
    this.#now = now;
    this.#tokens = burst;
    this.#last = now();
  }

  /** Takes `n` tokens if available. */
  take(n = 1): boolean {
    const t = this.#now();
    this.#tokens = Math.min(this.#burst, this.#tokens + ((t - this.#last) / 1000) * this.#rate);
    this.#last = t;
    if (this.#tokens < n) return false;
    this.#tokens -= n;
    return true;
  }
}
