/** Runs a callback before the next repaint; returns what cancels it. */
export type ScheduleFrame = (callback: () => void) => () => void;

/** The browser's `requestAnimationFrame`. */
export const animationFrame: ScheduleFrame = (callback) => {
  const id = requestAnimationFrame(() => callback());
  return () => cancelAnimationFrame(id);
};

/**
 * Coalesces requests into one call of `run` per frame: a burst of a thousand events redraws
 * once.
 */
export class FrameBatcher {
  #cancel: (() => void) | undefined;

  constructor(
    readonly schedule: ScheduleFrame,
    readonly run: () => void,
  ) {}

  request(): void {
    if (this.#cancel !== undefined) return;
    this.#cancel = this.schedule(() => {
      this.#cancel = undefined;
      this.run();
    });
  }

  cancel(): void {
    this.#cancel?.();
    this.#cancel = undefined;
  }
}
