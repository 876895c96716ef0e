import type { ReplicaId } from '../causal/replica-id.js';

/**
 * A hybrid logical clock reading: wall-clock milliseconds, a logical counter for events within
 * one millisecond, and the replica as the final tie-break. Totally ordered by
 * {@link compareTimestamps}; only last-writer-wins types look at it.
 */
export interface Timestamp {
  readonly wall: number;
  readonly counter: number;
  readonly replica: ReplicaId;
}

export function compareTimestamps(a: Timestamp, b: Timestamp): number {
  if (a.wall !== b.wall) return a.wall - b.wall;
  if (a.counter !== b.counter) return a.counter - b.counter;
  if (a.replica === b.replica) return 0;
  return a.replica < b.replica ? -1 : 1;
}
