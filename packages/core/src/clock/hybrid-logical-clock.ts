import { assertReplicaId, type ReplicaId } from '../causal/replica-id.js';
import { ClockDriftError } from '../errors.js';
import type { Timestamp } from './timestamp.js';

/** How far ahead of our own clock a remote timestamp may be before it is refused: one minute. */
export const HLC_MAX_FUTURE_DRIFT_MS = 60_000;

/** Beyond this the logical counter spills into the next millisecond instead of growing. */
const MAX_COUNTER = 0xffff;

export interface HybridLogicalClockOptions {
  /** The replica whose events this clock stamps. */
  readonly replica: ReplicaId;
  /** Physical time source; tests pass a fake. Defaults to `Date.now`. */
  readonly now?: () => number;
  /** Largest accepted lead of a remote timestamp over our physical time, in ms. */
  readonly maxDriftMs?: number;
  /** Correction added to the physical time, e.g. learned from the relay's handshake. */
  readonly offsetMs?: number;
}

/**
 * Hybrid logical clock (Kulkarni et al., 2014): timestamps stay close to physical time, never go
 * backwards, and order causally related events even across machines whose clocks disagree.
 */
export class HybridLogicalClock {
  readonly replica: ReplicaId;
  readonly maxDriftMs: number;
  readonly #physical: () => number;
  #offsetMs: number;
  #wall = 0;
  #counter = 0;

  constructor(options: HybridLogicalClockOptions) {
    assertReplicaId(options.replica);
    this.replica = options.replica;
    this.#physical = options.now ?? Date.now;
    this.maxDriftMs = options.maxDriftMs ?? HLC_MAX_FUTURE_DRIFT_MS;
    this.#offsetMs = options.offsetMs ?? 0;
  }

  /** The correction applied to physical time (server time minus local time). */
  get offsetMs(): number {
    return this.#offsetMs;
  }

  /** Sets the correction, e.g. from a relay's handshake. The clock still never goes backwards. */
  setOffset(offsetMs: number): void {
    if (!Number.isFinite(offsetMs)) throw new RangeError('offset must be a finite number of ms');
    this.#offsetMs = offsetMs;
  }

  /** Corrected physical time in ms. */
  physicalNow(): number {
    return Math.floor(this.#physical() + this.#offsetMs);
  }

  /** Stamps a local event. */
  now(): Timestamp {
    const pt = this.physicalNow();
    if (pt > this.#wall) {
      this.#wall = pt;
      this.#counter = 0;
    } else {
      this.#tick();
    }
    return { wall: this.#wall, counter: this.#counter, replica: this.replica };
  }

  /**
   * Folds in a timestamp seen from elsewhere, so our next reading orders after it.
   * @throws {ClockDriftError} when `remote` is further ahead than `maxDriftMs`; the clock is
   * then unchanged.
   */
  receive(remote: Timestamp): Timestamp {
    const pt = this.physicalNow();
    this.check(remote, pt);
    const wall = Math.max(this.#wall, remote.wall, pt);
    if (wall === this.#wall && wall === remote.wall) {
      this.#counter = Math.max(this.#counter, remote.counter);
      this.#tick();
    } else if (wall === this.#wall) {
      this.#tick();
    } else if (wall === remote.wall) {
      this.#wall = wall;
      this.#counter = remote.counter;
      this.#tick();
    } else {
      this.#wall = wall;
      this.#counter = 0;
    }
    return { wall: this.#wall, counter: this.#counter, replica: this.replica };
  }

  /** @throws {ClockDriftError} when `ts` is further ahead of physical time than allowed. */
  check(ts: Timestamp, physicalNow: number = this.physicalNow()): void {
    const drift = ts.wall - physicalNow;
    if (drift > this.maxDriftMs) throw new ClockDriftError(drift, this.maxDriftMs);
  }

  #tick(): void {
    if (this.#counter < MAX_COUNTER) {
      this.#counter++;
    } else {
      // A burst of more than 65k events in one ms: borrow the next millisecond.
      this.#wall++;
      this.#counter = 0;
    }
  }
}
