import type { CausalContext } from '../causal/causal-context.js';
import { rangesHas, rangesSize } from '../causal/ranges.js';
import type { ReplicaId } from '../causal/replica-id.js';
import type { ByteReader } from '../codec/byte-reader.js';
import { firstHeadOf, readSizeHead, sizeOf, writeSizeHead } from '../codec/size-head.js';
import type { Key } from '../codec/value.js';
import { readKey, writeKey } from '../codec/value.js';
import type { DotStoreKind } from './dot-store.js';

/**
 * A map from keys to nested dot stores, sharing the causal context of the whole state. A key
 * is present while its nested store holds a dot. `owners` indexes which key holds each live dot,
 * so a delta that removes dots finds its keys without scanning the map: merges cost what the
 * delta touches, not what the map holds.
 */
export interface DotMap<S> {
  readonly entries: Map<Key, S>;
  readonly owners: Map<ReplicaId, Map<number, Key>>;
}

/**
 * Records in `m.owners` that `key` holds the dots of `store`. With `r`, a decoder's reader, a dot
 * some other key already holds is refused instead (dots are unique).
 */
function own<S>(inner: DotStoreKind<S>, m: DotMap<S>, key: Key, store: S, r?: ByteReader): void {
  inner.forEachDot(store, (replica, seq) => {
    let bySeq = m.owners.get(replica);
    if (bySeq === undefined) {
      bySeq = new Map();
      m.owners.set(replica, bySeq);
    } else if (r !== undefined && bySeq.has(seq)) {
      r.fail('invariant', `dot ${replica}:${seq} held by two keys`);
    }
    bySeq.set(seq, key);
  });
}

/**
 * Calls `fn` for every live dot of `m` that `context` covers, with the key holding it, until `fn`
 * returns true. Walks whichever side is smaller per replica: the context's dots of that replica,
 * or the map's live dots of it.
 */
function forEachCovered(
  m: DotMap<unknown>,
  context: CausalContext,
  fn: (replica: ReplicaId, bySeq: Map<number, Key>, seq: number, key: Key) => boolean,
): boolean {
  if (m.owners.size === 0) return false;
  for (const replica of context.replicas()) {
    const bySeq = m.owners.get(replica);
    if (bySeq === undefined || bySeq.size === 0) continue;
    const ranges = context.rangesOf(replica);
    if (bySeq.size <= rangesSize(ranges)) {
      for (const [seq, key] of bySeq) {
        if (rangesHas(ranges, seq) && fn(replica, bySeq, seq, key)) return true;
      }
    } else {
      for (let i = 0; i < ranges.length; i += 2) {
        for (let seq = ranges[i]!; seq <= ranges[i + 1]!; seq++) {
          const key = bySeq.get(seq);
          if (key !== undefined && fn(replica, bySeq, seq, key)) return true;
        }
      }
    }
  }
  return false;
}

/** True when `m` holds a live dot of some replica of `context`: only then can it cover one. */
function coversSomeReplica(m: DotMap<unknown>, context: CausalContext): boolean {
  // Not `owners.size`: a lazily decoded owners index would build every replica's to count them.
  for (const replica of context.replicas()) if (m.owners.has(replica)) return true;
  return false;
}

/** Joins `incoming` into `target`'s store of `key`; returns whether that store changed. */
function mergeKey<S>(
  inner: DotStoreKind<S>,
  target: DotMap<S>,
  targetContext: CausalContext,
  key: Key,
  incoming: S,
  deltaContext: CausalContext,
): boolean {
  const store = target.entries.get(key) ?? inner.empty();
  if (!inner.merge(store, targetContext, incoming, deltaContext)) return false;
  if (inner.isEmpty(store)) target.entries.delete(key);
  else target.entries.set(key, store);
  return true;
}

export function dotMapKind<S>(inner: DotStoreKind<S>): DotStoreKind<DotMap<S>> {
  const empty = (): DotMap<S> => ({ entries: new Map(), owners: new Map() });

  return {
    empty,
    isEmpty: (m) => m.entries.size === 0,
    clone(m) {
      const out = empty();
      for (const [key, store] of m.entries) out.entries.set(key, inner.clone(store));
      for (const [replica, bySeq] of m.owners) out.owners.set(replica, new Map(bySeq));
      return out;
    },
    merge(target, targetContext, delta, deltaContext) {
      // The join keeps one of our dots that the delta's context covers only if the delta holds
      // it too, and takes a delta dot only if our context lacks it. So the owners index follows
      // from what the delta touches; re-indexing whole nested stores instead made merging n
      // concurrent writes to one key cost O(n²). Keys the delta leaves out are touched only when
      // its context covers one of their dots (a removal): most deltas cover none, and then
      // nothing is collected.
      let removedFrom: Set<Key> | undefined;
      let lost: [Map<number, Key>, number][] | undefined;
      // A covered dot of ours is in both contexts: a delta of fresh dots only (new keys, the
      // usual write) skips the owners index, which a lazily decoded store builds on first use.
      if (deltaContext.overlaps(targetContext) && coversSomeReplica(target, deltaContext)) {
        forEachCovered(target, deltaContext, (replica, bySeq, seq, key) => {
          if (!delta.entries.has(key)) {
            removedFrom ??= new Set();
            removedFrom.add(key);
          }
          if (delta.owners.get(replica)?.get(seq) !== key) {
            lost ??= [];
            lost.push([bySeq, seq]);
          }
          return false;
        });
      }
      let changed = false;
      for (const key of delta.entries.keys()) {
        if (mergeKey(inner, target, targetContext, key, delta.entries.get(key)!, deltaContext)) {
          changed = true;
        }
      }
      if (removedFrom !== undefined) {
        for (const key of removedFrom) {
          if (mergeKey(inner, target, targetContext, key, inner.empty(), deltaContext)) {
            changed = true;
          }
        }
      }
      if (lost !== undefined) for (const [bySeq, seq] of lost) bySeq.delete(seq);
      for (const replica of delta.owners.keys()) {
        let bySeq = target.owners.get(replica);
        for (const seq of delta.owners.get(replica)!.keys()) {
          if (targetContext.has(replica, seq)) continue;
          if (bySeq === undefined) {
            bySeq = new Map();
            target.owners.set(replica, bySeq);
          }
          bySeq.set(seq, delta.owners.get(replica)!.get(seq)!);
        }
      }
      return changed;
    },
    forEachDot(m, fn) {
      for (const store of m.entries.values()) inner.forEachDot(store, fn);
    },
    unseen(m, context) {
      const out = empty();
      for (const [key, store] of m.entries) {
        const rest = inner.unseen(store, context);
        if (!inner.isEmpty(rest)) {
          out.entries.set(key, rest);
          own(inner, out, key, rest);
        }
      }
      return out;
    },
    someRemoved(target, delta, deltaContext, fn) {
      return forEachCovered(
        target,
        deltaContext,
        (replica, _, seq, key) => delta.owners.get(replica)?.get(seq) !== key && fn(replica, seq),
      );
    },
    findConflict(target, delta) {
      // Only a dot both sides hold can conflict, and the owners index says which those are and
      // under which key: a delta of fresh dots (the usual write) looks at no nested store.
      let compared: Set<Key> | undefined;
      for (const [replica, theirs] of delta.owners) {
        const ours = target.owners.get(replica);
        if (ours === undefined) continue;
        for (const [seq, key] of theirs) {
          const held = ours.get(seq);
          if (held === undefined) continue;
          if (held !== key) return { replica, seq };
          // Under the same key: the nested stores tell whether the content is the same.
          compared ??= new Set();
          if (compared.has(key)) continue;
          compared.add(key);
          const conflict = inner.findConflict(target.entries.get(key)!, delta.entries.get(key)!);
          if (conflict !== undefined) return conflict;
        }
      }
      return undefined;
    },
    equals(a, b) {
      if (a.entries.size !== b.entries.size) return false;
      for (const [key, store] of a.entries) {
        const other = b.entries.get(key);
        if (other === undefined || !inner.equals(store, other)) return false;
      }
      return true;
    },
    write(w, m, table) {
      if (m.entries.size === 1) {
        // A map of one key: its key's head is the map's size head (see writeSizeHead).
        m.entries.forEach((store, key) => {
          writeKey(w, key, true);
          inner.write(w, store, table);
        });
        return;
      }
      writeSizeHead(w, m.entries.size, 0);
      m.entries.forEach((store, key) => {
        writeKey(w, key);
        inner.write(w, store, table);
      });
    },
    read(r, table) {
      // Format 1 wrote the count on its own.
      const head = r.format >= 3 ? readSizeHead(r, 2) : r.length(2) * 2;
      const n = sizeOf(head);
      const out = empty();
      for (let i = 0; i < n; i++) {
        const key = readKey(r, i === 0 ? firstHeadOf(head) : undefined);
        if (out.entries.has(key)) r.fail('invariant', `key ${JSON.stringify(key)} twice`);
        r.enter();
        const store = inner.read(r, table);
        r.leave();
        if (inner.isEmpty(store)) r.fail('invariant', `key ${JSON.stringify(key)} holds nothing`);
        out.entries.set(key, store);
        own(inner, out, key, store, r);
      }
      return out;
    },
  };
}

/** The map `key → store`: the payload of a delta that touches one key. */
export function singletonDotMap<S>(inner: DotStoreKind<S>, key: Key, store: S): DotMap<S> {
  const m: DotMap<S> = { entries: new Map([[key, store]]), owners: new Map() };
  own(inner, m, key, store);
  return m;
}
