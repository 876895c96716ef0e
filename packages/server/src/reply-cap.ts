/**
 * At most `max` replies per second: refusals of frames the relay did not even read (a flood)
 * must not make it talk as much as the flood does. A sliding second, so a burst at the edge of
 * a window cannot double the cap.
 */
export class ReplyCap {
  readonly #max: number;
  readonly #now: () => number;
  readonly #sent: number[] = [];

  constructor(max: number, now: () => number) {
    this.#max = max;
    this.#now = now;
  }

  /** Whether one more reply may go out now (and counts it if so). */
  allow(): boolean {
    const t = this.#now();
    while (this.#sent.length > 0 && this.#sent[0]! <= t - 1_000) this.#sent.shift();
    if (this.#sent.length >= this.#max) return false;
    this.#sent.push(t);
    return true;
  }
}
