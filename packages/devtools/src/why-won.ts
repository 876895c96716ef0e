import type { ConflictWrite } from './source.js';

/**
 * Why an LWW write beat another: LWW keeps the greatest `(wall, counter, replica)`, compared in
 * that order (replica ids as strings), as `compareTimestamps` of `@helios/core` does.
 */
export function whyWon(winner: ConflictWrite, loser: ConflictWrite): string {
  if (winner.wall !== loser.wall) {
    const later = winner.wall > loser.wall;
    return later
      ? `later wall clock: ${winner.wall} > ${loser.wall} (+${winner.wall - loser.wall} ms)`
      : `not later: wall clock ${winner.wall} < ${loser.wall} (an inconsistent event)`;
  }
  if (winner.counter !== loser.counter) {
    return winner.counter > loser.counter
      ? `same wall clock, higher counter: ${winner.counter} > ${loser.counter}`
      : `not later: same wall clock, counter ${winner.counter} < ${loser.counter} (an inconsistent event)`;
  }
  if (winner.replica === loser.replica) return 'the same timestamp: the same write';
  return winner.replica > loser.replica
    ? `same timestamp, greater replica id: ${winner.replica} > ${loser.replica}`
    : `not later: same timestamp, replica ${winner.replica} < ${loser.replica} (an inconsistent event)`;
}
