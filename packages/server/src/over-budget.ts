/**
 * How long a connection has been over its budget without a break: the time since it first had
 * to wait for its budget, as long as each wait began within `graceMs` of the end of the one
 * before. A client that outruns its budget now and then never adds up; one that keeps
 * outrunning it does, and is closed once that reaches the relay's `overBudgetCloseMs`.
 */
export class OverBudgetClock {
  readonly #graceMs: number;
  readonly #now: () => number;
  /** Start of the current stretch, if any. */
  #since: number | undefined;
  /** When the latest wait ends. */
  #until = Number.NEGATIVE_INFINITY;

  constructor(graceMs: number, now: () => number = Date.now) {
    this.#graceMs = graceMs;
    this.#now = now;
  }

  /** The connection must wait `waitMs` for its budget, from now. */
  waiting(waitMs: number): void {
    const now = this.#now();
    if (this.#since === undefined || now > this.#until + this.#graceMs) this.#since = now;
    this.#until = Math.max(this.#until, now + waitMs);
  }

  /** Milliseconds over budget so far in the current stretch (0 when there is none). */
  overForMs(): number {
    const now = this.#now();
    if (this.#since === undefined || now > this.#until + this.#graceMs) return 0;
    return now - this.#since;
  }
}
