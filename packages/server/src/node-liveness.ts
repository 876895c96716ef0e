/**
 * Which other relay nodes of the region are alive, from the heartbeats they send over the
 * Redis adapter. A node not heard from for `timeoutMs` has crashed or lost Redis: it may have
 * committed changes whose cross-node notice never went out, so `onSilent` lets this node catch
 * up from the shared store. A node that shut down gracefully counts as silent too: a needless
 * catch-up costs a seq lookup per document subscribed to on this node.
 */
export class NodeLiveness {
  readonly #lastHeard = new Map<string, number>();
  readonly #beat: () => void;
  readonly #onSilent: (relayId: string) => void;
  readonly #timeoutMs: number;
  readonly #now: () => number;
  readonly #timer: ReturnType<typeof setInterval>;

  constructor(options: {
    /** Sends this node's heartbeat to the others. */
    beat: () => void;
    onSilent: (relayId: string) => void;
    intervalMs: number;
    timeoutMs: number;
    now?: () => number;
  }) {
    this.#beat = options.beat;
    this.#onSilent = options.onSilent;
    this.#timeoutMs = options.timeoutMs;
    this.#now = options.now ?? Date.now;
    this.#beat();
    this.#timer = setInterval(() => this.#tick(), options.intervalMs);
    this.#timer.unref();
  }

  /** Another node's heartbeat arrived. */
  heard(relayId: string): void {
    const known = this.#lastHeard.has(relayId);
    this.#lastHeard.set(relayId, this.#now());
    // A node that just started knows nobody yet: answer at once, or it would not learn of
    // this node, and so not notice its death, until this node's next beat.
    if (!known) this.#beat();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  #tick(): void {
    this.#beat();
    const silentSince = this.#now() - this.#timeoutMs;
    for (const [relayId, at] of this.#lastHeard) {
      if (at >= silentSince) continue;
      this.#lastHeard.delete(relayId);
      this.#onSilent(relayId);
    }
  }
}
