/**
 * Where the client reads the time and sets its timers. Every timeout of the client (retries,
 * failover backoff, holds of early deltas, the home probe) goes through it, so a test can drive
 * time instead of sleeping (see `ManualClock` in the client's test support).
 */
export interface Clock {
  /** Milliseconds since the epoch, like `Date.now()`. */
  now(): number;
  /** Calls `callback` once after `ms`; returns a handle for {@link Clock.clearTimeout}. */
  setTimeout(callback: () => void, ms: number): TimerHandle;
  /** Cancels a timer; `undefined` and fired timers are ignored. */
  clearTimeout(handle: TimerHandle | undefined): void;
}

/** A timer of a {@link Clock}: opaque to the client. */
export type TimerHandle = unknown;

/** The real time: `Date.now` and the global timers. The default. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout> | undefined),
};

/** Resolves after `ms` on `clock`. */
export function delay(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimeout(resolve, ms));
}
