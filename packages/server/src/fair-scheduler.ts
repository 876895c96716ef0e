import { LoadGauge } from './load-gauge.js';
import { MinHeap } from './min-heap.js';

/** One unit of a connection's work, started by {@link Worker.turn}. */
export interface Turn {
  /** What it costs (the entries it handles, at least 1): its share of the relay. */
  readonly cost: number;
  /** Settles when it is handled; never rejects. */
  readonly done: Promise<void>;
}

/** A connection with work queued, as {@link FairScheduler} sees it. */
export interface Worker {
  /** Takes the connection's next unit of work (a small one if `light`) and starts handling it. */
  turn(light: boolean): Turn;
}

interface Request {
  readonly worker: Worker;
  /** Virtual time at which the unit may start (start-time fair queueing). */
  readonly start: number;
  /** Where the worker's previous unit ended: among equal starts, the one served least goes first. */
  readonly prior: number;
  /** Arrival order, to break the remaining ties. */
  readonly seq: number;
  /** The unit of a connection that was idle and within its budget: it runs at once. */
  readonly light: boolean;
  cancelled: boolean;
}

/**
 * Decides whose queued work the relay handles next, so that no connection can make the others
 * wait behind it. Start-time fair queueing over the entries handled: each connection's units
 * are tagged with a virtual start time, the later of the scheduler's virtual clock and the end
 * of that connection's previous unit, and the unit with the earliest tag goes next. A connection
 * that keeps work queued (a flood) has its tags run ahead of the clock with every unit, while
 * one that writes now and then arrives with a tag at the clock: it goes ahead of every backlog
 * and is served as if nobody else were there. Backlogged connections share what is left evenly.
 *
 * Backlogged units run for at most `sliceMs` of each turn of the event loop, for at most `share`
 * of the time themselves, only while the event loop has been busy less than `maxLoad` of the
 * time lately (whatever kept it busy: this work, commits, I/O, garbage collection), and only
 * while `busy()` is false (the node's group commit is not behind). So backlog never piles up in front of the store, and the rest of the
 * time belongs to everyone else: handshakes, other connections' frames, commits, acks. It still
 * gets a slice every `maxRestMs` at least, so it cannot starve. The unit of a connection that
 * was idle runs at once, whatever the slice, the load and the store. A unit that waits on I/O (a store read, an authorize hook) does not hold up the others:
 * the scheduler moves on once the event loop has turned.
 */
export interface FairSchedulerOptions {
  /** Longest stretch of backlogged units in one turn of the event loop (ms). */
  readonly sliceMs: number;
  /** Largest share of the time backlogged units may take themselves (0–1]. */
  readonly share: number;
  /** Backlogged units wait while the event loop has been busy this share of the time (0–1]. */
  readonly maxLoad: number;
  /** Backlogged units get a slice at least this often, however busy the event loop (ms). */
  readonly maxRestMs: number;
  /** Whether the store is behind: backlogged units then wait. */
  readonly busy: () => boolean;
}

export class FairScheduler {
  readonly #options: FairSchedulerOptions;
  readonly #load = new LoadGauge(100);
  readonly #queue = new MinHeap<Request>((a, b) =>
    a.start !== b.start
      ? a.start < b.start
      : a.prior !== b.prior
        ? a.prior < b.prior
        : a.seq < b.seq,
  );
  /** Light requests, first come first served, before any backlog. */
  readonly #light: Request[] = [];
  readonly #waiting = new Map<Worker, Request>();
  /** Where each connection's last unit ended, in virtual time. */
  readonly #finish = new WeakMap<Worker, number>();
  #clock = 0;
  #seq = 0;
  #scheduled = false;
  /** When a backlogged unit last ran (performance.now). */
  #lastBacklog = 0;
  /** Backlogged units rest until then (performance.now): their own share of the time is used. */
  #restUntil = 0;

  constructor(options: FairSchedulerOptions) {
    this.#options = options;
  }

  /** Connections waiting for a turn. */
  get waiting(): number {
    return this.#waiting.size;
  }

  /**
   * `worker` has a unit ready: give it a turn when its tag comes up. `light`: its connection was
   * idle and within its budget (nothing queued, not slowed down lately), so the unit runs at once,
   * even when backlogged units must wait.
   */
  request(worker: Worker, light: boolean): void {
    if (this.#waiting.has(worker)) return;
    const prior = this.#finish.get(worker) ?? 0;
    const start = Math.max(this.#clock, prior);
    const request: Request = { worker, start, prior, seq: this.#seq++, light, cancelled: false };
    this.#waiting.set(worker, request);
    if (light) this.#light.push(request);
    else this.#queue.push(request);
    this.#schedule();
  }

  /** Withdraws `worker`'s request (its connection closed). */
  forget(worker: Worker): void {
    const request = this.#waiting.get(worker);
    if (request === undefined) return;
    request.cancelled = true;
    this.#waiting.delete(worker);
  }

  #schedule(delayMs = 0): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    if (delayMs > 0) setTimeout(() => void this.#run(), delayMs);
    else setImmediate(() => void this.#run());
  }

  /** The next backlogged request still wanted, left in the queue. */
  #peek(): Request | undefined {
    for (;;) {
      const request = this.#queue.peek();
      if (request === undefined || !request.cancelled) return request;
      this.#queue.pop();
    }
  }

  /** The next light request still wanted, taken out. */
  #nextLight(): Request | undefined {
    for (;;) {
      const request = this.#light.shift();
      if (request === undefined || !request.cancelled) return request;
    }
  }

  /**
   * Why backlogged units must wait now, if they must: this turn's slice is used (`ran`: one has
   * run in it already), or a pause is due.
   */
  #backlogWaits(started: number, now: number, ran: boolean): 'slice' | 'rest' | undefined {
    const o = this.#options;
    if (ran && now - started >= o.sliceMs) return 'slice';
    if (o.busy() || now < this.#restUntil) return 'rest';
    if (now - this.#lastBacklog < o.maxRestMs && this.#load.utilization() >= o.maxLoad) {
      return 'rest';
    }
    return undefined;
  }

  async #run(): Promise<void> {
    const started = performance.now();
    let turned = false;
    const loopTurned = new Promise<void>((resolve) =>
      setImmediate(() => {
        turned = true;
        resolve();
      }),
    );
    let rest = false;
    let ran = false;
    let spent = 0;
    for (;;) {
      let request = this.#nextLight();
      if (request === undefined) {
        request = this.#peek();
        if (request === undefined) break;
        const now = performance.now();
        const wait = this.#backlogWaits(started, now, ran);
        if (wait !== undefined) {
          rest = wait === 'rest';
          break;
        }
        this.#queue.pop();
        this.#lastBacklog = now;
        this.#clock = request.start;
        ran = true;
      }
      this.#waiting.delete(request.worker);
      const at = performance.now();
      const turn = request.worker.turn(request.light);
      this.#finish.set(request.worker, request.start + Math.max(1, turn.cost));
      // Most units finish within this turn of the event loop (their awaits resolve at once);
      // one that waits on I/O finishes later, on its own.
      await Promise.race([turn.done, loopTurned]);
      if (!request.light) spent += performance.now() - at;
      if (turned) break;
    }
    // Backlog's own time counts at once (the load gauge sees its consequences a little later).
    const now = performance.now();
    if (spent > 0) this.#restUntil = now + spent * (1 / this.#options.share - 1);
    this.#scheduled = false;
    // Resting (the loop is busy, or the store behind): look again in a millisecond, not at once.
    if (this.#waiting.size > 0) {
      this.#schedule(rest ? Math.max(1, Math.ceil(this.#restUntil - now)) : 0);
    }
  }
}
