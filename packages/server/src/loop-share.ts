/**
 * Shares the event loop between the connections' work and everything else. Connections work
 * through their queues in microtasks, which the event loop runs to the end before it reads a
 * socket again: without a bound, twenty busy connections keep every other client, handshake and
 * timer waiting until all of their queues are empty. Work asks {@link turn} before each slice;
 * after `turnMs` of work in one turn of the loop, the answer is a promise that resolves in the
 * next turn, after the loop has read its sockets: ordinary clients' first slices, which do not
 * ask, then go first.
 */
export class LoopShare {
  readonly #turnMs: number;
  #since = performance.now();
  #next: Promise<void> | undefined;

  constructor(turnMs: number) {
    this.#turnMs = turnMs;
  }

  /** Whether work is waiting for the next turn: the relay is behind. */
  get behind(): boolean {
    return this.#next !== undefined;
  }

  /** `undefined` while this turn has time left; otherwise the next turn. */
  turn(): Promise<void> | undefined {
    if (this.#next !== undefined) return this.#next;
    if (performance.now() - this.#since < this.#turnMs) return undefined;
    this.#next = new Promise<void>((resolve) =>
      setImmediate(() => {
        this.#next = undefined;
        this.#since = performance.now();
        resolve();
      }),
    );
    return this.#next;
  }
}
