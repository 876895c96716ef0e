import { performance } from 'node:perf_hooks';

/**
 * How busy this process's event loop has been lately: its utilization (the share of the time it
 * was running callbacks rather than waiting for I/O) over the last `windowMs` to `2 × windowMs`.
 * Synchronous work of every kind counts: handling messages, SQLite commits, garbage collection.
 */
export class LoadGauge {
  readonly #windowMs: number;
  #since = performance.eventLoopUtilization();
  #next = this.#since;
  #nextAt = performance.now();

  constructor(windowMs: number) {
    this.#windowMs = windowMs;
  }

  /** Utilization of the recent window, 0–1. */
  utilization(): number {
    const now = performance.now();
    if (now - this.#nextAt >= this.#windowMs) {
      this.#since = this.#next;
      this.#next = performance.eventLoopUtilization();
      this.#nextAt = now;
    }
    return performance.eventLoopUtilization(this.#since).utilization;
  }
}
