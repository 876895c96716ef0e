/**
 * One direction of a proxied TCP connection: the chunks read from one socket, each due at a
 * planned time, written to the other socket in the order they were read, never before their
 * time. A stall (a lost segment's retransmission timeout, a blackout) holds the head of the
 * lane, and every chunk behind it waits: TCP's head-of-line blocking.
 *
 * `T` is what the lane carries: a TCP proxy's chunks, or an ordered UDP proxy's deliveries (one
 * timer per datagram would not keep the order: each timer starts from the event loop's cached
 * clock, so a datagram read later can fire first).
 */
export class StreamLane<T = Buffer> {
  readonly #write: (chunk: T) => void;
  /** Chunks not written yet, in read order; `at` is undefined while a blackout holds them. */
  readonly #queue: { chunk: T; at: number | undefined }[] = [];
  /** No chunk is written before this time (the end of the latest stall). */
  #notBefore = 0;
  /** When the first chunk held by the current blackout was read; undefined: none held. */
  #heldSince: number | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  constructor(write: (chunk: T) => void) {
    this.#write = write;
  }

  /** True when nothing waits, so a chunk due now may be written at once. */
  get idle(): boolean {
    return this.#queue.length === 0 && this.#notBefore <= performance.now();
  }

  /** Queues `chunk` to be written at `at` (ms, `performance.now()`), after the chunks before it. */
  push(chunk: T, at: number): void {
    this.#queue.push({ chunk, at: Math.max(at, this.#notBefore) });
    this.#schedule();
  }

  /** Nothing is written before `until` (ms); later chunks queue behind. */
  stallUntil(until: number): void {
    this.#notBefore = Math.max(this.#notBefore, until);
    for (const item of this.#queue) {
      if (item.at !== undefined) item.at = Math.max(item.at, this.#notBefore);
    }
  }

  /** Queues `chunk` with no time yet: a blackout holds it until {@link release}. */
  hold(chunk: T, now: number): void {
    this.#heldSince ??= now;
    this.#queue.push({ chunk, at: undefined });
  }

  /**
   * Ends a blackout: `resumeAt(heldSince)` says when the held chunks arrive, given when the
   * first of them was read. Nothing to do when no chunk was held.
   */
  release(resumeAt: (heldSince: number) => number): void {
    if (this.#heldSince === undefined) return;
    this.stallUntil(resumeAt(this.#heldSince));
    this.#heldSince = undefined;
    for (const item of this.#queue) item.at ??= this.#notBefore;
    this.#schedule();
  }

  /** Drops what is queued and writes nothing more. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#queue.length = 0;
  }

  #schedule(): void {
    if (this.#closed || this.#timer !== undefined) return;
    const head = this.#queue[0];
    if (head?.at === undefined) return;
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined;
        this.#drain();
      },
      Math.max(0, head.at - performance.now()),
    );
  }

  #drain(): void {
    const now = performance.now();
    while (!this.#closed) {
      const head = this.#queue[0];
      if (head?.at === undefined || head.at > now) break;
      this.#queue.shift();
      this.#write(head.chunk);
    }
    this.#schedule();
  }
}
