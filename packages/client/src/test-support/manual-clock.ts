import type { Clock, TimerHandle } from '../clock.js';

interface Timer {
  readonly at: number;
  readonly seq: number;
  readonly callback: () => void;
}

/** How long `until` waits for work outside the clock (real ms) before it gives up. */
const REAL_LIMIT_MS = 5_000;

/** One turn of Node's event loop: lets promises, IndexedDB (fake) and microtasks run. */
export const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * A {@link Clock} that moves only when the test moves it: `advance(ms)` fires the timers due in
 * that span, in order, letting the rest of the process (promises, fake IndexedDB) run between
 * them. Client tests use it instead of sleeping through retries, holds and backoffs.
 */
export class ManualClock implements Clock {
  #now: number;
  #seq = 0;
  readonly #timers = new Map<number, Timer>();
  readonly #busy: (() => boolean)[] = [];

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    const seq = ++this.#seq;
    this.#timers.set(seq, { at: this.#now + Math.max(0, ms), seq, callback });
    return seq;
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    if (typeof handle === 'number') this.#timers.delete(handle);
  }

  /**
   * Work outside this clock's control (`busy` says while it runs) that time must not jump past:
   * the next timer fires only once it is done.
   */
  holdWhile(busy: () => boolean): void {
    this.#busy.push(busy);
  }

  /** Timers set and not fired or cleared. */
  get pending(): number {
    return this.#timers.size;
  }

  /** Moves time forward by `ms`, firing every timer due by then (and those they set). */
  async advance(ms: number): Promise<void> {
    const end = this.#now + ms;
    await this.#settle();
    for (let next = this.#next(); next && next.at <= end; next = this.#next()) {
      this.#timers.delete(next.seq);
      this.#now = Math.max(this.#now, next.at);
      next.callback();
      await this.#settle();
    }
    this.#now = end;
  }

  /**
   * Runs the process and the clock until `check` holds: whatever is ready runs first, and time
   * jumps to the next timer only when nothing else moves. Throws once `limitMs` of clock time
   * passed without it.
   */
  async until(check: () => boolean, what: string, limitMs = 60_000): Promise<void> {
    const end = this.#now + limitMs;
    const realEnd = Date.now() + REAL_LIMIT_MS;
    for (;;) {
      await this.#settle();
      if (check()) return;
      const next = this.#next();
      if (next && next.at <= end) {
        this.#timers.delete(next.seq);
        this.#now = Math.max(this.#now, next.at);
        next.callback();
        continue;
      }
      // No timer due: what it waits for is real work (crypto in a worker thread, say).
      if (Date.now() > realEnd) throw new Error(`not within ${limitMs} ms of clock time: ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }

  #next(): Timer | undefined {
    let first: Timer | undefined;
    for (const t of this.#timers.values()) {
      if (!first || t.at < first.at || (t.at === first.at && t.seq < first.seq)) first = t;
    }
    return first;
  }

  /**
   * Lets everything that does not wait for this clock run: a few event-loop turns, and as long
   * as real work it was told of ({@link holdWhile}) is under way.
   */
  async #settle(): Promise<void> {
    for (let i = 0; i < 10; i++) await turn();
    const end = Date.now() + REAL_LIMIT_MS;
    while (this.#busy.some((busy) => busy()) && Date.now() < end) {
      await new Promise((resolve) => setTimeout(resolve, 1));
      for (let i = 0; i < 10; i++) await turn();
    }
  }
}
