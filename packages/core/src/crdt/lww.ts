import type { Timestamp } from '../clock/timestamp.js';
import { compareTimestamps } from '../clock/timestamp.js';
import type { Value } from '../codec/value.js';
import { assertValue } from '../codec/value.js';
import {
  type ConflictDescription,
  type ConflictScope,
  isFresh,
  type WriteStamp,
} from './conflicts.js';
import type { Actor } from './crdt-type.js';
import type { DotEntry, DotFun } from './dot-fun.js';
import type { LwwEntry } from './entry-values.js';

/** An actor that can also stamp its writes with a hybrid-logical-clock time. */
export interface ClockedActor extends Actor {
  now(): Timestamp;
}

export function timestampOf(e: DotEntry<LwwEntry>): Timestamp {
  return { wall: e.value.wall, counter: e.value.counter, replica: e.replica };
}

/**
 * The winning entry among concurrent writes: greatest timestamp, the writer's replica id
 * breaking ties. Writes that causally follow others have already replaced them.
 */
export function lwwWinner(entries: DotFun<LwwEntry>): DotEntry<LwwEntry> | undefined {
  let best: DotEntry<LwwEntry> | undefined;
  for (const e of entries) {
    if (best === undefined || compareTimestamps(timestampOf(e), timestampOf(best)) > 0) best = e;
  }
  return best;
}

/** Stamps `value` for a write by `actor`; refuses values that cannot be stored. */
export function stamp(actor: ClockedActor, value: Value): LwwEntry {
  assertValue(value);
  const ts = actor.now();
  return { wall: ts.wall, counter: ts.counter, value };
}

function stampOf(e: DotEntry<LwwEntry>): WriteStamp {
  return { replica: e.replica, wall: e.value.wall, counter: e.value.counter };
}

/** An LWW register left with concurrent writes by a merge that brought one of them. */
export function describeLww(
  merged: DotFun<LwwEntry>,
  scope: ConflictScope,
): ConflictDescription | undefined {
  if (merged.length < 2 || !isFresh(merged, scope.fresh)) return undefined;
  const winner = lwwWinner(merged)!;
  const losers = merged.filter((e) => e !== winner).map(stampOf);
  return { kind: 'lww-overwrite', winner: stampOf(winner), losers };
}
