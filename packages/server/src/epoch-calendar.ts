import { InvalidArgumentError, MAX_EPOCH } from '@helios/core';
import type { RelayOptions } from './options.js';

/** The replica leases of a deployment as a calendar (see {@link epochCalendar}). */
export interface EpochCalendarOptions {
  /** Length of one epoch (one lease period), in ms; epoch `n` starts at `n · periodMs`. */
  readonly periodMs: number;
  /**
   * Whole periods an epoch stays writable after the current one began: epochs below
   * `current − retireAfter` are retired. At least 1, so the writers of the period that just
   * ended can still push while they renew their ids. Absent: nothing retires.
   */
  readonly retireAfter?: number;
  /** Clock in ms. Default `Date.now`. */
  readonly now?: () => number;
}

/**
 * The `replicaEpoch` and `retiredEpochsBelow` relay options of a deployment whose epochs are
 * periods of the calendar (docs/compaction.md): epoch = ⌊now / periodMs⌋, counted from the Unix
 * epoch, so every relay of every region computes the same numbers from its clock alone. Clients
 * then renew their ids once a period, and the ids of writers gone for `retireAfter` periods
 * retire, which the fold can then forget.
 *
 * @throws {InvalidArgumentError} for a period that is not positive or so short that today's
 * epoch is past {@link MAX_EPOCH}, or a `retireAfter` that is not a positive integer.
 */
export function epochCalendar(
  options: EpochCalendarOptions,
): Required<Pick<RelayOptions, 'replicaEpoch'>> & Pick<RelayOptions, 'retiredEpochsBelow'> {
  const { periodMs, retireAfter } = options;
  const now = options.now ?? Date.now;
  if (!(Number.isFinite(periodMs) && periodMs > 0)) {
    throw new InvalidArgumentError(`an epoch period is a positive number of ms, not ${periodMs}`);
  }
  if (retireAfter !== undefined && !(Number.isInteger(retireAfter) && retireAfter >= 1)) {
    throw new InvalidArgumentError(
      `retireAfter is a whole number of periods, at least 1, not ${retireAfter}`,
    );
  }
  const replicaEpoch = () => Math.floor(now() / periodMs);
  if (replicaEpoch() > MAX_EPOCH) {
    throw new InvalidArgumentError(
      `an epoch period of ${periodMs} ms makes today's epoch ${replicaEpoch()}, past the last one (${MAX_EPOCH}): take a longer period`,
    );
  }
  if (retireAfter === undefined) return { replicaEpoch };
  return {
    replicaEpoch,
    retiredEpochsBelow: () => Math.max(0, replicaEpoch() - retireAfter),
  };
}
