/**
 * Token bucket: `ratePerSecond` tokens refill continuously up to `burst`. One per connection
 * (and one per user) bounds how fast a client can make the relay work, without penalising short
 * bursts. A rate of `Infinity` never runs out.
 *
 * Work that has already arrived (a frame read from the socket, a push being handled) is
 * `charge`d even when the bucket is short: the bucket goes into debt, and `msUntil` says how long
 * the party must then wait, which is how the relay slows a client down instead of dropping what
 * it sent.
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

  #refill(): number {
    if (this.#rate === Number.POSITIVE_INFINITY) return Number.POSITIVE_INFINITY;
    const t = this.#now();
    if (t > this.#last) {
      this.#tokens = Math.min(this.#burst, this.#tokens + ((t - this.#last) / 1000) * this.#rate);
      this.#last = t;
    }
    return this.#tokens;
  }

  /** Tokens now; negative while in debt. */
  get tokens(): number {
    return this.#refill();
  }

  /** Whether the bucket has refilled completely (nothing spent lately). */
  get full(): boolean {
    return this.#refill() >= this.#burst;
  }

  /** Takes `n` tokens if available. */
  take(n = 1): boolean {
    if (this.#refill() < n) return false;
    this.#tokens -= n;
    return true;
  }

  /** Takes `n` tokens, into debt if fewer are left. */
  charge(n: number): void {
    this.#refill();
    this.#tokens -= n;
  }

  /** Milliseconds until the bucket holds at least `level` tokens: 0 if it does now. */
  msUntil(level = 0): number {
    if (this.#rate === Number.POSITIVE_INFINITY) return 0;
    const missing = Math.min(level, this.#burst) - this.#refill();
    return missing <= 0 ? 0 : Math.ceil((missing / this.#rate) * 1000);
  }
}
