import type { ReplicaId } from './replica-id.js';

/**
 * A dot names one event: the `seq`-th event minted by `replica` in a document. Sequences start
 * at 1 and have no gaps, so a dot is never reused (see docs/architecture.md).
 */
export interface Dot {
  readonly replica: ReplicaId;
  readonly seq: number;
}

/** Orders dots by replica id, then sequence: a total order used for deterministic output. */
export function compareDots(a: Dot, b: Dot): number {
  if (a.replica !== b.replica) return a.replica < b.replica ? -1 : 1;
  return a.seq - b.seq;
}

/** Dots are values: two dots are equal when replica and sequence are. */
export function dotEquals(a: Dot, b: Dot): boolean {
  return a.replica === b.replica && a.seq === b.seq;
}

/**
 * Largest sequence number a dot may carry (2^48: a replica writing a million events a second
 * needs nine years to reach it). Keeping it well under 2^53 leaves the codec room to pack flags.
 */
export const MAX_SEQ = 2 ** 48;
