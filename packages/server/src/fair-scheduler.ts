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

/** Which lane a request waits in: see {@link FairScheduler}. */
type Lane = 'light' | 'backlog' | 'heavy';

interface Request {
  readonly worker: Worker;
  readonly lane: Lane;
  /** Virtual time at which the unit may start (start-time fair queueing). */
  readonly start: number;
  /** Where the worker's previous unit ended: among equal starts, the one served least goes first. */
  readonly prior: number;
  /** Arrival order, to break the remaining ties. */
  readonly seq: number;
  cancelled: boolean;
}

/** Entries a worker was served lately: a count that decays by half every second. */
interface Served {
  entries: number;
  at: number;
  /** Heavy until its rate falls to a quarter of the threshold (no flapping at the threshold). */
  heavy: boolean;
}

export interface FairSchedulerOptions {
  /** Longest stretch of backlogged units in one turn of the event loop (ms). */
  readonly sliceMs: number;
  /** A connection served more entries than this in about the last second is heavy. */
  readonly heavyEntriesPerSecond: number;
  /** Largest share of the time heavy connections' units may take themselves (0–1]. */
  readonly share: number;
  /** Heavy connections' units wait while the event loop has been this busy lately (0–1]. */
  readonly maxLoad: number;
  /** Heavy connections' units still get a slice at least this often (ms). */
  readonly maxRestMs: number;
  /** Whether the store is behind: backlogged units then wait. */
  readonly busy: () => boolean;
}

function byTag(a: Request, b: Request): boolean {
  if (a.start !== b.start) return a.start < b.start;
  if (a.prior !== b.prior) return a.prior < b.prior;
  return a.seq < b.seq;
}

/**
 * Decides whose queued work the relay handles next, so that no connection can make the others
 * wait behind it. Start-time fair queueing over the entries handled: each connection's units
 * are tagged with a virtual start time, the later of the scheduler's virtual clock and the end
 * of that connection's previous unit, and the unit with the earliest tag goes next, so every
 * connection with work queued gets an even share. Requests wait in three lanes:
 *
 * - **light**: a connection that was idle and within its budget. Its (small) unit runs at the next
 *   turn of the event loop, before everything else: a client that writes now and then is served
 *   as if nobody else were there.
 * - **backlog**: a connection with work queued. Its units run for at most `sliceMs` of each turn
 *   of the event loop, and not while `busy()` (the group commit is behind), so backlog never
 *   piles up in front of the store and the rest of each turn belongs to I/O: handshakes, other
 *   connections' frames, commits, acks.
 * - **heavy**: a backlogged connection with a pile of work queued (`bulk`), or served more than
 *   `heavyEntriesPerSecond` lately (a flood, a bulk upload; it stays heavy until its rate falls
 *   below a quarter of that). Besides the above, its units take at most `share` of the time themselves, and
 *   wait while the event loop has been busy `maxLoad` of the time lately (whatever kept it busy:
 *   this work, the commits, snapshots and garbage it causes, I/O), except that they get a slice
 *   every `maxRestMs` at least. So a flood costs everyone else little latency, while many
 *   ordinary clients that fall behind together are still served as fast as the relay can.
 *
 * A unit that waits on I/O (a store read, an authorize hook) does not hold up the others: the
 * scheduler moves on once the event loop has turned.
 */
export class FairScheduler {
  readonly #options: FairSchedulerOptions;
  readonly #load = new LoadGauge(100);
  readonly #light: Request[] = [];
  readonly #backlog = new MinHeap<Request>(byTag);
  readonly #heavy = new MinHeap<Request>(byTag);
  readonly #waiting = new Map<Worker, Request>();
  /** Where each connection's last unit ended, in virtual time. */
  readonly #finish = new WeakMap<Worker, number>();
  readonly #served = new WeakMap<Worker, Served>();
  #clock = 0;
  #seq = 0;
  #scheduled = false;
  /** When a heavy unit last ran (performance.now). */
  #lastHeavy = 0;
  /** Heavy units rest until then (performance.now): their own share of the time is used. */
  #restUntil = 0;

  constructor(options: FairSchedulerOptions) {
    this.#options = options;
  }

  /** Connections waiting for a turn. */
  get waiting(): number {
    return this.#waiting.size;
  }

  /**
   * `worker` has a unit ready: give it a turn when its tag comes up. `kind`: `light` if its
   * connection was idle and within its budget (nothing queued, not slowed down lately): the unit
   * runs at once; `bulk` if it has a pile of work queued: it is heavy whatever it was served.
   */
  request(worker: Worker, kind: 'light' | 'bulk' | 'backlog'): void {
    if (this.#waiting.has(worker)) return;
    const prior = this.#finish.get(worker) ?? 0;
    const lane: Lane =
      kind === 'light' ? 'light' : this.#isHeavy(worker, kind === 'bulk') ? 'heavy' : 'backlog';
    const request: Request = {
      worker,
      lane,
      start: Math.max(this.#clock, prior),
      prior,
      seq: this.#seq++,
      cancelled: false,
    };
    this.#waiting.set(worker, request);
    if (lane === 'light') this.#light.push(request);
    else (lane === 'heavy' ? this.#heavy : this.#backlog).push(request);
    this.#schedule();
  }

  /** Withdraws `worker`'s request (its connection closed). */
  forget(worker: Worker): void {
    const request = this.#waiting.get(worker);
    if (request === undefined) return;
    request.cancelled = true;
    this.#waiting.delete(worker);
  }

  /** Entries served to `worker` lately, decayed to now. */
  #recent(worker: Worker, now: number): Served {
    let served = this.#served.get(worker);
    if (served === undefined) {
      served = { entries: 0, at: now, heavy: false };
      this.#served.set(worker, served);
    }
    served.entries *= 0.5 ** ((now - served.at) / 1000);
    served.at = now;
    return served;
  }

  #isHeavy(worker: Worker, bulk: boolean): boolean {
    const served = this.#recent(worker, performance.now());
    if (bulk) {
      served.heavy = true;
      return true;
    }
    // A count halving every second holds about 1.44 s worth of a steady rate.
    const perSecond = served.entries / 1.44;
    const threshold = this.#options.heavyEntriesPerSecond;
    served.heavy = served.heavy ? perSecond > threshold / 4 : perSecond > threshold;
    return served.heavy;
  }

  #schedule(delayMs = 0): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    if (delayMs > 0) setTimeout(() => void this.#run(), delayMs);
    else setImmediate(() => void this.#run());
  }

  /** The first request still wanted in `lane`, left in it. */
  #peek(lane: MinHeap<Request> | Request[]): Request | undefined {
    for (;;) {
      const request = Array.isArray(lane) ? lane[0] : lane.peek();
      if (request === undefined || !request.cancelled) return request;
      if (Array.isArray(lane)) lane.shift();
      else lane.pop();
    }
  }

  /** Whether heavy units must rest now: their own share is used, or the loop has been busy. */
  #heavyRests(now: number): boolean {
    const o = this.#options;
    if (now < this.#restUntil) return true;
    return now - this.#lastHeavy < o.maxRestMs && this.#load.utilization() >= o.maxLoad;
  }

  /**
   * The next request to run now, taken out of its lane, or why none may: `rest` when backlog
   * waits for the store or heavy units rest (look again soon), `done` otherwise.
   */
  #next(started: number, ran: boolean): Request | 'rest' | 'done' {
    const light = this.#peek(this.#light);
    if (light !== undefined) return this.#light.shift()!;
    const backlog = this.#peek(this.#backlog);
    const heavy = this.#peek(this.#heavy);
    if (backlog === undefined && heavy === undefined) return 'done';
    const now = performance.now();
    if (ran && now - started >= this.#options.sliceMs) return 'done';
    if (this.#options.busy()) return 'rest';
    const heavyMay = heavy !== undefined && !this.#heavyRests(now);
    if (backlog !== undefined && (!heavyMay || byTag(backlog, heavy))) return this.#backlog.pop()!;
    if (heavyMay) {
      this.#lastHeavy = now;
      return this.#heavy.pop()!;
    }
    return 'rest';
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
    let ran = false;
    let rest = false;
    let heavySpent = 0;
    for (;;) {
      const request = this.#next(started, ran);
      if (request === 'rest' || request === 'done') {
        rest = request === 'rest';
        break;
      }
      this.#waiting.delete(request.worker);
      if (request.lane !== 'light') {
        this.#clock = request.start;
        ran = true;
      }
      const at = performance.now();
      const turn = request.worker.turn(request.lane === 'light');
      const cost = Math.max(1, turn.cost);
      this.#finish.set(request.worker, request.start + cost);
      this.#recent(request.worker, at).entries += cost;
      // Most units finish within this turn of the event loop (their awaits resolve at once);
      // one that waits on I/O finishes later, on its own.
      await Promise.race([turn.done, loopTurned]);
      if (request.lane === 'heavy') heavySpent += performance.now() - at;
      if (turned) break;
    }
    const now = performance.now();
    // Heavy units' own time counts at once (the load gauge sees what they cause a little later).
    if (heavySpent > 0) this.#restUntil = now + heavySpent * (1 / this.#options.share - 1);
    this.#scheduled = false;
    if (this.#waiting.size === 0) return;
    // Resting (the store is behind, or heavy units' share is used): look again a little later.
    this.#schedule(rest ? Math.max(1, Math.ceil(this.#restUntil - now)) : 0);
  }
}
