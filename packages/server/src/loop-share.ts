/**
 * Which line a connection's work waits in when the loop's turn is used up: an ordinary client's
 * (`interactive`) goes before a bulk writer's (`bulk`).
 */
export type WorkLane = 'interactive' | 'bulk';

/** Those waiting for the next turn, in the order they will go. */
class Waiting {
  /** Those that had no slice in the turn that ran out; they go first. */
  readonly passedOver: (() => void)[] = [];
  /** Those that had a slice in it. */
  readonly served: (() => void)[] = [];

  takeAll(): (() => void)[] {
    const all = [...this.passedOver, ...this.served];
    this.passedOver.length = 0;
    this.served.length = 0;
    return all;
  }
}

/**
 * Shares the event loop between the connections' work and everything else. Connections work
 * through their queues in microtasks, which the event loop runs to the end before it reads a
 * socket again: without a bound, twenty busy connections keep every other client, handshake and
 * timer waiting until all of their queues are empty. Work asks {@link turn} before each slice;
 * after `turnMs` of work in one turn of the loop (`bulkTurnMs` for bulk writers' work), the
 * answer is a promise that resolves in the next turn, after the loop has read its sockets.
 *
 * The next turn goes round fairly: ordinary clients' work before bulk writers', and within a
 * lane, those that had no slice in the last turn before those that had. (Waking everyone in
 * the order they asked would let the first few, who ask again at once, keep every turn.)
 */
export class LoopShare {
  readonly #turnMs: number;
  readonly #bulkTurnMs: number;
  readonly #now: () => number;
  #since: number;
  /** Work that has had a slice in the current turn. */
  #served = new WeakSet<object>();
  readonly #interactive = new Waiting();
  readonly #bulk = new Waiting();
  #scheduled = false;

  /**
   * `turnMs`: work per turn; `bulkTurnMs` (at most `turnMs`): how much of a turn bulk writers'
   * work may use, so that a person's write, read in the next turn, never waits long behind
   * them. `now`: a monotonic clock in ms (a test's own, for one).
   */
  constructor(
    turnMs: number,
    bulkTurnMs: number = turnMs,
    now: () => number = () => performance.now(),
  ) {
    this.#turnMs = turnMs;
    this.#bulkTurnMs = Math.min(bulkTurnMs, turnMs);
    this.#now = now;
    this.#since = now();
  }

  /** Whether work is waiting for the next turn: the relay is behind. */
  get behind(): boolean {
    return this.#scheduled;
  }

  /**
   * `undefined` while this turn has time left (then `who` takes a slice now); otherwise a
   * promise of `who`'s place in the next turn. `who` is any object standing for the work.
   */
  turn(who: object, lane: WorkLane): Promise<void> | undefined {
    const limit = lane === 'bulk' ? this.#bulkTurnMs : this.#turnMs;
    if (!this.#scheduled && this.#now() - this.#since < limit) {
      this.#served.add(who);
      return undefined;
    }
    const waiting = lane === 'bulk' ? this.#bulk : this.#interactive;
    const line = this.#served.has(who) ? waiting.served : waiting.passedOver;
    const next = new Promise<void>((resolve) => line.push(resolve));
    this.#schedule();
    return next;
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#since = this.#now();
      this.#served = new WeakSet();
      // Resolved in this order, the waiters' continuations run in this order.
      for (const wake of [...this.#interactive.takeAll(), ...this.#bulk.takeAll()]) wake();
    });
  }
}
