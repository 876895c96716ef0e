import type { CausalContext } from '@helios/core';

/**
 * Collects, per document, the dots that became durable in every region and announces them once
 * per tick (as `FanOut` does, and for the same reason): a group commit costs one
 * `replicated` message per document.
 */
export class ReplicatedNotifier {
  readonly #announce: (doc: string, dots: CausalContext) => void;
  readonly #pending = new Map<string, CausalContext>();
  #scheduled = false;

  constructor(announce: (doc: string, dots: CausalContext) => void) {
    this.#announce = announce;
  }

  add(doc: string, dots: CausalContext): void {
    const pending = this.#pending.get(doc);
    if (pending === undefined) this.#pending.set(doc, dots.clone());
    else pending.join(dots);
    if (this.#scheduled) return;
    this.#scheduled = true;
    process.nextTick(() => {
      this.#scheduled = false;
      const batch = [...this.#pending];
      this.#pending.clear();
      for (const [d, ctx] of batch) this.#announce(d, ctx);
    });
  }
}
