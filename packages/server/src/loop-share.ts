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

/** How long after an ordinary client's last slice it counts as active (ms). */
const ACTIVE_MS = 1_000;

/** How a {@link LoopShare} shares the loop. */
export interface LoopShareOptions {
  /** Work per turn of the loop (ms). */
  readonly turnMs: number;
  /**
   * How much of a turn bulk writers' work may use (ms, at most `turnMs`), so that a person's
   * write, read in the next turn, never waits long behind them. Default: `turnMs`.
   */
  readonly bulkTurnMs?: number;
  /**
   * While ordinary clients are active (one had a slice within the last second), the part of
   * the time bulk writers' work may use, in (0, 1]: after a bulk turn of `t` ms, bulk work
   * rests `t * (1 / bulkShare - 1)` ms. Default 1 (no rest).
   */
  readonly bulkShare?: number;
  /** A monotonic clock in ms (a test's own, for one). */
  readonly now?: () => number;
}

/** How a relay node's connections share its event loop. */
export const RELAY_LOOP_SHARE: LoopShareOptions = {
  /**
   * Connections' work in one turn of the event loop before it reads its sockets again (ms):
   * long enough for large group commits under load, short enough that a new frame waits little.
   */
  turnMs: 15,
  /**
   * The part of a turn bulk writers' work may use (ms): under a flood, the loop reads sockets and
   * store replies every few ms, so a person's write waits little for either.
   */
  bulkTurnMs: 2,
  /**
   * The part of the time bulk writers' work may use while ordinary clients are active, on the
   * loop and in the store (the bulk commit lane rests as long as each of its commits took): both
   * are then idle at least half the time, so a person's write is mostly handled and committed the
   * moment it arrives, instead of waiting behind bulk work, its commits, store replies and acks.
   */
  bulkShare: 0.5,
};

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
 *
 * While ordinary clients are active, bulk work also rests between its turns (`bulkShare`), so
 * that the loop is idle often: a person's write that arrives then is read and handled at once,
 * where behind a loop kept busy by bulk work it would wait for the slice in progress, the
 * store replies and acks that work brings, and the CPU the busy relay competes for.
 */
export class LoopShare {
  readonly #turnMs: number;
  readonly #bulkTurnMs: number;
  /** Rest after a bulk turn, per ms of that turn, while ordinary clients are active. */
  readonly #restPerMs: number;
  readonly #now: () => number;
  #since: number;
  /** Work that has had a slice in the current turn. */
  #served = new WeakSet<object>();
  readonly #interactive = new Waiting();
  readonly #bulk = new Waiting();
  #scheduled = false;
  /** When bulk work had its first slice in the current turn. */
  #bulkFrom: number | undefined;
  /** When an ordinary client's work last had a slice. */
  #interactiveAt = Number.NEGATIVE_INFINITY;
  /** Until when bulk work rests. */
  #restUntil = Number.NEGATIVE_INFINITY;
  #restTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: LoopShareOptions) {
    const share = options.bulkShare ?? 1;
    if (!(share > 0 && share <= 1)) throw new RangeError('bulkShare must be in (0, 1]');
    this.#turnMs = options.turnMs;
    this.#bulkTurnMs = Math.min(options.bulkTurnMs ?? options.turnMs, options.turnMs);
    this.#restPerMs = 1 / share - 1;
    this.#now = options.now ?? (() => performance.now());
    this.#since = this.#now();
  }

  /** Whether work is waiting for the next turn, or bulk work is resting: the relay is behind. */
  get behind(): boolean {
    return this.#scheduled || this.#restTimer !== undefined;
  }

  /**
   * Records that an ordinary client's work runs now without asking for a turn (a person's
   * write after a pause goes at once): it keeps bulk work resting between its turns.
   */
  interactiveWork(): void {
    this.#interactiveAt = this.#now();
  }

  /**
   * How long bulk work elsewhere should rest after it was busy `busyMs` (the store's bulk
   * commits): by the same share as the loop's bulk work while ordinary clients are active,
   * otherwise 0.
   */
  restAfter(busyMs: number): number {
    return this.#now() - this.#interactiveAt < ACTIVE_MS ? busyMs * this.#restPerMs : 0;
  }

  /**
   * `undefined` while this turn has time left (then `who` takes a slice now); otherwise a
   * promise of `who`'s place in the next turn. `who` is any object standing for the work.
   */
  turn(who: object, lane: WorkLane): Promise<void> | undefined {
    const now = this.#now();
    if (lane === 'interactive') this.#interactiveAt = now;
    else if (now < this.#restUntil) return this.#wait(who, lane, false);
    const limit = lane === 'bulk' ? this.#bulkTurnMs : this.#turnMs;
    if (!this.#scheduled && now - this.#since < limit) {
      if (lane === 'bulk') this.#bulkFrom ??= now;
      this.#served.add(who);
      return undefined;
    }
    if (lane === 'bulk') this.#rest(now);
    return this.#wait(who, lane);
  }

  /** After a bulk turn: the rest it earns, if ordinary clients are active. */
  #rest(now: number): void {
    if (this.#bulkFrom === undefined || this.#restPerMs === 0) return;
    if (now - this.#interactiveAt < ACTIVE_MS) {
      this.#restUntil = now + (now - this.#bulkFrom) * this.#restPerMs;
    }
    this.#bulkFrom = undefined;
  }

  /**
   * `who`'s place in the next turn; `schedule` false while bulk work rests: the rest's timer
   * starts that turn, and ordinary clients' work goes on meanwhile.
   */
  #wait(who: object, lane: WorkLane, schedule = true): Promise<void> {
    const waiting = lane === 'bulk' ? this.#bulk : this.#interactive;
    const line = this.#served.has(who) ? waiting.served : waiting.passedOver;
    const next = new Promise<void>((resolve) => line.push(resolve));
    if (schedule) this.#schedule();
    else this.#restAfterwards();
    return next;
  }

  /** Starts a turn when the rest is over (a timer may fire a little early: it waits on). */
  #restAfterwards(): void {
    if (this.#restTimer !== undefined) return;
    this.#restTimer = setTimeout(
      () => {
        this.#restTimer = undefined;
        if (this.#now() < this.#restUntil) this.#restAfterwards();
        else this.#schedule();
      },
      Math.max(0, this.#restUntil - this.#now()),
    );
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      const now = this.#now();
      this.#since = now;
      this.#served = new WeakSet();
      this.#bulkFrom = undefined;
      const resting = now < this.#restUntil;
      if (resting) this.#restAfterwards();
      // Resolved in this order, the waiters' continuations run in this order.
      const woken = [...this.#interactive.takeAll(), ...(resting ? [] : this.#bulk.takeAll())];
      for (const wake of woken) wake();
    });
  }
}
