import type { ReplicaId } from '../causal/replica-id.js';
import { readDot, writeDot } from '../codec/replica-table.js';
import { firstHeadOf, readSizeHead, sizeOf, writeSizeHead } from '../codec/size-head.js';
import type { DotStoreKind, EntryValueKind } from './dot-store.js';

/** One entry of a {@link DotFun}: the dot that created it and what it holds. Immutable. */
export interface DotEntry<V> {
  readonly replica: ReplicaId;
  readonly seq: number;
  readonly value: V;
}

/**
 * A map from dots to values, kept as a small array: registers hold one entry per concurrent
 * write, counters one per replica, set elements one per concurrent add.
 */
export type DotFun<V> = DotEntry<V>[];

/**
 * Each replica's current entry: its latest, the one with the greatest seq. A counter's state can
 * hold two entries of one replica for a while: a delta delivered late (after a newer one from the
 * same replica) brings back an older entry until anti-entropy removes it. The latest entry is the
 * replica's contribution, whatever arrived since: its totals are the greatest, unless the older
 * one belongs to a cart line that was removed and added again since (then the latest counts from
 * zero, and the older one is a superseded value that must not show).
 */
export function latestByReplica<V>(store: DotFun<V>): Map<ReplicaId, DotEntry<V>> {
  const latest = new Map<ReplicaId, DotEntry<V>>();
  for (const e of store) {
    const seen = latest.get(e.replica);
    if (seen === undefined || e.seq > seen.seq) latest.set(e.replica, e);
  }
  return latest;
}

/** Index of the entry of dot `replica:seq` among the first `length` entries, or -1. */
function indexOfDot<V>(
  entries: DotFun<V>,
  replica: ReplicaId,
  seq: number,
  length = entries.length,
): number {
  for (let i = 0; i < length; i++) {
    const e = entries[i]!;
    if (e.seq === seq && e.replica === replica) return i;
  }
  return -1;
}

/** The dot-store kind of {@link DotFun}s whose values are described by `values`. */
export function dotFunKind<V>(values: EntryValueKind<V>): DotStoreKind<DotFun<V>> {
  return {
    empty: () => [],
    isEmpty: (s) => s.length === 0,
    clone: (s) => s.slice(),
    merge(target, targetContext, delta, deltaContext) {
      let changed = false;
      // Every target dot is in the target's context, so a delta whose context shares no dot with
      // it removes nothing: skip the scan. That is the common case of concurrent writes, and it
      // keeps merging n concurrent writes into one register O(n), not O(n²).
      if (target.length > 0 && deltaContext.overlaps(targetContext)) {
        let kept = 0;
        for (let i = 0; i < target.length; i++) {
          const e = target[i]!;
          // Seen by the delta's writer but absent from its store: removed there.
          if (!deltaContext.has(e.replica, e.seq) || indexOfDot(delta, e.replica, e.seq) >= 0) {
            target[kept++] = e;
          }
        }
        changed = kept < target.length;
        target.length = kept;
      }
      for (let i = 0; i < delta.length; i++) {
        const e = delta[i]!;
        // A dot the target has not seen is not in its store either (store ⊆ context).
        if (!targetContext.has(e.replica, e.seq)) {
          target.push(e);
          changed = true;
        }
      }
      return changed;
    },
    forEachDot(s, fn) {
      for (let i = 0; i < s.length; i++) fn(s[i]!.replica, s[i]!.seq);
    },
    unseen: (s, context) => s.filter((e) => !context.has(e.replica, e.seq)),
    someRemoved(target, delta, deltaContext, fn) {
      for (const e of target) {
        if (!deltaContext.has(e.replica, e.seq) || indexOfDot(delta, e.replica, e.seq) >= 0)
          continue;
        if (fn(e.replica, e.seq)) return true;
      }
      return false;
    },
    findConflict(target, delta) {
      for (const e of delta) {
        const i = indexOfDot(target, e.replica, e.seq);
        if (i >= 0 && !values.equals(e.value, target[i]!.value)) {
          return { replica: e.replica, seq: e.seq };
        }
      }
      return undefined;
    },
    equals(a, b) {
      if (a.length !== b.length) return false;
      for (const e of a) {
        const i = indexOfDot(b, e.replica, e.seq);
        if (i < 0 || !values.equals(e.value, b[i]!.value)) return false;
      }
      return true;
    },
    write(w, s, table) {
      if (s.length === 1) {
        writeDot(w, table, s[0]!.replica, s[0]!.seq, true);
        values.write(w, s[0]!.value);
        return;
      }
      writeSizeHead(w, s.length, 0);
      for (const e of s) {
        writeDot(w, table, e.replica, e.seq);
        values.write(w, e.value);
      }
    },
    read(r, table) {
      // Format 1 wrote the count on its own.
      const head = r.format >= 3 ? readSizeHead(r) : r.length() * 2;
      const n = sizeOf(head);
      // Sized up front: a growing array reserves room for 17 entries, most hold one.
      const out: DotFun<V> = new Array(n);
      for (let i = 0; i < n; i++) {
        const { replica, seq } = readDot(r, table, i === 0 ? firstHeadOf(head) : undefined);
        if (indexOfDot(out, replica, seq, i) >= 0)
          r.fail('invariant', `dot ${replica}:${seq} twice`);
        out[i] = { replica, seq, value: values.read(r) };
      }
      return out;
    },
  };
}
