/**
 * Delays calls by a fixed time, preserving their order: the one-way latency injected on a peer
 * link so five regions on one machine behave like five regions on three continents.
 */
export class LinkDelay {
  readonly oneWayMs: number;
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();

  constructor(oneWayMs: number) {
    this.oneWayMs = Math.max(0, oneWayMs);
  }

  /** Runs `fn` after the delay (at once, synchronously, when the delay is 0). */
  run(fn: () => void): void {
    if (this.oneWayMs === 0) {
      fn();
      return;
    }
    // Equal delays fire in scheduling order, so messages keep their order on the link.
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      fn();
    }, this.oneWayMs);
    this.#timers.add(timer);
  }

  /** Drops everything still in flight (the link went down). */
  clear(): void {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
  }
}
