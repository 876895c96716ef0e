/**
 * At most `max` replies in any `windowMs`: what keeps a flood from making the relay talk. A
 * sliding window (the times of the last `max` replies), so the bound holds over every interval
 * of that length, not only over aligned ones.
 */
export class ReplyCap {
  readonly #max: number;
  readonly #windowMs: number;
  readonly #now: () => number;
  /** Times of the last `max` replies allowed, oldest first. */
  readonly #sent: number[] = [];

  constructor(max: number, windowMs: number, now: () => number = Date.now) {
    this.#max = max;
    this.#windowMs = windowMs;
    this.#now = now;
  }

  /** Milliseconds until a reply may be sent: 0 if one may be now. */
  msUntilFree(): number {
    if (this.#sent.length < this.#max) return 0;
    // Strictly more than the window after the oldest: a closed interval of `windowMs` then never
    // holds more than `max`.
    return Math.max(0, this.#sent[0]! + this.#windowMs + 1 - this.#now());
  }

  /** Whether a reply may be sent now; if so, it is counted. */
  allow(): boolean {
    if (this.msUntilFree() > 0) return false;
    this.#sent.push(this.#now());
    if (this.#sent.length > this.#max) this.#sent.shift();
    return true;
  }
}
