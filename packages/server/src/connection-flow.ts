import type { Socket } from 'socket.io';
import { Budget, type Cost } from './budget.js';
import type { ConnectionLimits } from './options.js';
import { ReadGate } from './read-gate.js';

/** Time without being over budget after which a connection has caught up (ms). */
const CAUGHT_UP_MS = 1_000;
/**
 * Entries a connection may have sent within about the last second and still count as an
 * ordinary client, not a bulk writer: a hundred times what a busy user writes by hand.
 */
const BULK_ENTRIES = 500;
/** Bytes queued beyond which a connection counts as a bulk writer at once (a flood starting). */
const BULK_QUEUED_BYTES = 16 * 1024;
/**
 * Bytes a bulk writer may have queued and still be read: enough to keep it busy for a turn or
 * two. Reading more would only move its parsing forward into the loop's I/O phase, where no
 * turn bounds it (twenty new flooders read up to `maxQueuedBytes` each would hold every other
 * client up for tens of milliseconds).
 */
const BULK_READ_AHEAD_BYTES = 64 * 1024;
/** Entries in one frame beyond which its work is a bulk writer's: more than a person writes at once. */
const BULK_FRAME_ENTRIES = 64;

/** A connection's queue of frames not handled yet. */
export interface Queued {
  readonly frames: number;
  readonly bytes: number;
}

/**
 * The flow control of one client connection: its budget and its user's, whether it is a bulk
 * writer, whether its socket is read, and how long it has been over budget. See
 * docs/protocol.md §5.4.
 *
 * - A budget in debt stops reading and handling until it is paid back.
 * - A bulk writer (more than 16 KiB queued, more than 500 entries within about a second, or a
 *   frame of more than 64 entries) is not read while it has 64 KiB queued or its queue is full,
 *   nor while it has frames queued and the relay is behind.
 *   An ordinary client is always read: a stopped socket also leaves its heartbeat replies
 *   unread, and an overloaded relay would then drop its honest clients for ping timeouts.
 * - In debt for `overBudgetCloseMs` without a second's break, the connection is to be closed: a
 *   flood that pays its debt back and overdraws again at once never has that break. A bulk
 *   writer that is only held back (not read while the relay has other work) is within its
 *   budget and is not closed: a device replaying a long offline outbox is one.
 */
export class ConnectionFlow {
  readonly #limits: ConnectionLimits;
  readonly #now: () => number;
  readonly #budget: Budget;
  readonly #userBudget: Budget;
  readonly #gate: ReadGate;
  /** Since when the connection has been over budget without catching up (ms), if it is. */
  #overSince: number | undefined;
  /** When it was last seen over budget (ms). */
  #overAt = Number.NEGATIVE_INFINITY;
  /** Entries taken on lately, decaying by e every second, and when that was brought up to date. */
  #recent = 0;
  #recentAt = 0;
  /** Entries of the last frame charged (the one being worked on). */
  #frameEntries = 0;

  constructor(limits: ConnectionLimits, now: () => number, socket: Socket, userBudget: Budget) {
    this.#limits = limits;
    this.#now = now;
    this.#budget = new Budget(
      {
        framesPerSecond: limits.maxMessagesPerSecond,
        bytesPerSecond: limits.maxBytesPerSecond,
        entriesPerSecond: limits.maxDeltasPerSecond,
      },
      now,
    );
    this.#userBudget = userBudget;
    this.#gate = new ReadGate(socket);
  }

  /** Charges the connection's budget and its user's; whether either is in debt now. */
  charge(cost: Cost): boolean {
    if (cost.entries) {
      this.#recentEntries(cost.entries);
      this.#frameEntries = cost.entries;
    }
    const own = this.#budget.charge(cost);
    return this.#userBudget.charge(cost) || own;
  }

  /** How long until the connection's budget and its user's are out of debt (ms). */
  debtMs(): number {
    return Math.max(this.#budget.msUntilPaid(), this.#userBudget.msUntilPaid());
  }

  /**
   * A bulk writer: more queued than an ordinary client ever has, much sent lately, or a frame
   * (the one being worked on) of more entries than a person writes at once.
   */
  bulk(queuedBytes: number): boolean {
    return (
      queuedBytes > BULK_QUEUED_BYTES ||
      this.#frameEntries > BULK_FRAME_ENTRIES ||
      this.#recentEntries() > BULK_ENTRIES
    );
  }

  /**
   * Judges the connection after its queue or budget changed, and stops or restarts reading its
   * socket: `'close'` when it has been over budget too long, otherwise how long its debt lasts
   * (ms; 0 when it may be worked on).
   */
  assess(queued: Queued, relayBehind: boolean): number | 'close' {
    const limits = this.#limits;
    const debt = this.debtMs();
    const bulk = this.bulk(queued.bytes);
    const now = this.#now();
    if (debt > 0) {
      this.#overAt = now;
      this.#overSince ??= now;
      if (now - this.#overSince >= limits.overBudgetCloseMs) return 'close';
      this.#gate.set(false);
      return debt;
    }
    if (now - this.#overAt >= CAUGHT_UP_MS) this.#overSince = undefined;
    const full = queued.frames >= limits.maxQueuedMessages || queued.bytes >= limits.maxQueuedBytes;
    // What it sends while the relay is behind could not be handled soon anyway, and reading it
    // is work too.
    const stop =
      bulk && (full || queued.bytes >= BULK_READ_AHEAD_BYTES || (queued.frames > 0 && relayBehind));
    // Hysteresis: reading restarts once half of the queue is worked off.
    const drained =
      queued.frames <= limits.maxQueuedMessages / 2 && queued.bytes <= limits.maxQueuedBytes / 2;
    if (stop) this.#gate.set(false);
    else if (drained || !bulk) this.#gate.set(true);
    return 0;
  }

  /** Reads the socket again, whatever the budget (the connection is closing). */
  release(): void {
    this.#gate.set(true);
  }

  /**
   * The relay closed the connection (its last frames are written): it is not read again, and
   * is destroyed after `graceMs` (see ReadGate.abandon).
   */
  abandon(graceMs: number): void {
    this.#gate.abandon(graceMs);
  }

  #recentEntries(added = 0): number {
    const now = this.#now();
    this.#recent = this.#recent * Math.exp((this.#recentAt - now) / 1000) + added;
    this.#recentAt = now;
    return this.#recent;
  }
}
