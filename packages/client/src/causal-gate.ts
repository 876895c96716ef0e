import { CausalBuffer, type CausalContext, type CrdtState } from '@helios/core';
import type { Clock, TimerHandle } from './clock.js';

/** A delta from the relay or from another tab, decoded, on its way into a document. */
export interface Incoming {
  readonly delta: CrdtState<unknown>;
  readonly bytes: Uint8Array;
  /**
   * From the relay: stored once merged if it brings something. Another tab's write is not: that
   * tab stored it before sharing it.
   */
  readonly fromRelay: boolean;
}

/** How long a delta may wait for a write it replaces before the document is repaired. */
export const HOLD_MS = 3_000;
/** Repairs that do not release everything are retried, waiting twice as long each time. */
export const HOLD_MAX_MS = 30_000;
/** Deltas held per document; one more triggers a repair instead. */
export const MAX_HELD = 1_000;

/**
 * What a document lets in, and when (docs/architecture.md §2.1). A delta that arrives before a
 * write it replaces waits in a {@link CausalBuffer} until that write is merged, so a reader
 * never sees a value next to one its writer had replaced. Whole states (the relay's `sync`
 * reply, local storage) are merged at once, and release what they make ready.
 *
 * The relay's `delta` messages after its `sync` reply on the same connection are merged at once
 * too: the relay sends its commits in commit order, and commits a delta only when it is ready
 * (client pushes are validated against the relay's state, peer feeds are held back), so that
 * stream is in causal order already. It could not be checked here anyway: when one group commit
 * brought several writers' deltas to a document, the relay sends their join, whose context names
 * several unseen dots exactly like an early delta does. Deltas the relay sends before its `sync`
 * reply (a subscription racing a commit) and other tabs' writes go through the buffer.
 */
export class CausalGate {
  readonly buffer: CausalBuffer<Incoming>;
  /** The relay's `sync` reply for this document came on the current connection. */
  synced = false;
  /** Fires when the oldest held delta has waited {@link delay}. */
  timer: TimerHandle | undefined;
  delay = HOLD_MS;

  readonly #clock: Clock;

  constructor(seen: () => CausalContext, clock: Clock) {
    this.#clock = clock;
    this.buffer = new CausalBuffer<Incoming>({
      seen,
      contextOf: (incoming) => incoming.delta.context,
      maxHeld: MAX_HELD,
    });
  }

  /** Stops the timer and forgets the backoff (nothing is held any more, or the client closes). */
  settle(): void {
    this.#clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.delay = HOLD_MS;
  }
}
