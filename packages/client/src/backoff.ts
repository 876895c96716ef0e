/**
 * The client's retry schedule, shared by reconnecting (after a whole lap of the relay list has
 * failed) and by pushing transiently refused writes again: step 1 waits about 250 ms, each step
 * doubles it, up to 5 s.
 *
 * Each delay is drawn from the upper half of its step ("equal jitter"): a relay coming back
 * after a crash or a deploy would otherwise see every client that lost it dial in the same
 * millisecond, and sit idle until then. Spread over half a step, the crowd arrives as a stream
 * the relay can admit as it comes, the first of it sooner; keeping the lower half out means a
 * relay that stays down is never dialled more often than every half step.
 */

/** The first step's upper bound (ms). */
export const BACKOFF_FIRST_MS = 250;
/** No step waits longer (ms). */
export const BACKOFF_MAX_MS = 5_000;

/**
 * The delay before retry number `step` (1 for the first), in ms: uniformly within the upper half
 * of `min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS × 2^(step − 1))`.
 * @param random a uniform draw in [0, 1) (default `Math.random`).
 */
export function backoffMs(step: number, random: () => number = Math.random): number {
  const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** Math.max(0, step - 1));
  return ceiling * (1 - random() / 2);
}
