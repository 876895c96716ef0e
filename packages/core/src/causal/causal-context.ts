import { keepShape } from '../keep-shape.js';
import type { CausalOrder } from './causal-order.js';
import type { Dot } from './dot.js';
import {
  type Ranges,
  rangesAddMut,
  rangesEqual,
  rangesHas,
  rangesInclude,
  rangesIntersect,
  rangesMax,
  rangesOverlap,
  rangesSize,
  rangesSubtract,
  rangesUnion,
} from './ranges.js';
import { FOLD_REPLICA, isRetiredBy } from './replica-epoch.js';
import type { ReplicaId } from './replica-id.js';
import { VersionVector } from './version-vector.js';

/**
 * The set of dots a replica has seen. Stored per replica as ranges: the prefix `[1, n]` is the
 * version vector, later ranges are the dot cloud of events received out of order. Adding the
 * missing dots merges ranges, so the cloud compacts itself and the context stays
 * O(replicas) in the usual case.
 *
 * A context may also hold dots of {@link FOLD_REPLICA}: the greatest is its *retirement
 * frontier* `E`, and the context then holds every dot of every replica of an epoch below `E`
 * (see `replica-epoch.ts`), without listing them: their ranges are dropped, and {@link has}
 * answers for them from the frontier. That is what keeps a folded counter's context small.
 *
 * Mutating methods end in a verb (`add`, `join`); the others return fresh values.
 */
export class CausalContext {
  readonly #ranges: Map<ReplicaId, Ranges>;
  /** The greatest fold dot (0: nothing retired). */
  #frontier = 0;

  constructor(ranges?: Map<ReplicaId, Ranges>) {
    this.#ranges = ranges ?? new Map();
    if (this.#ranges.has(FOLD_REPLICA)) this.#settleFrontier();
  }

  /** Every replica of an epoch below this is retired: all its dots are in the context. */
  get frontier(): number {
    return this.#frontier;
  }

  /** True when the frontier retires `replica`: every dot it minted is in this context. */
  isRetired(replica: ReplicaId): boolean {
    return isRetiredBy(replica, this.#frontier);
  }

  /** Recomputes the frontier from the fold dots; drops the ranges of replicas it now retires. */
  #settleFrontier(): void {
    const frontier = rangesMax(this.#ranges.get(FOLD_REPLICA) ?? []);
    if (frontier <= this.#frontier) return;
    this.#frontier = frontier;
    for (const replica of this.#ranges.keys()) {
      if (isRetiredBy(replica, frontier)) this.#ranges.delete(replica);
    }
  }

  /** The context of everything up to each entry of `vv`. */
  static fromVersionVector(vv: VersionVector): CausalContext {
    const ctx = new CausalContext();
    for (const [replica, seq] of vv) if (seq > 0) ctx.addRange(replica, 1, seq);
    return ctx;
  }

  /** A context holding exactly `dots`. */
  static of(dots: Iterable<Dot>): CausalContext {
    const ctx = new CausalContext();
    for (const d of dots) ctx.add(d.replica, d.seq);
    return ctx;
  }

  has(replica: ReplicaId, seq: number): boolean {
    const r = this.#ranges.get(replica);
    if (r !== undefined) return rangesHas(r, seq);
    return this.#frontier > 0 && isRetiredBy(replica, this.#frontier);
  }

  contains(dot: Dot): boolean {
    return this.has(dot.replica, dot.seq);
  }

  /** Highest sequence seen from `replica` (0 if none). */
  max(replica: ReplicaId): number {
    const r = this.#ranges.get(replica);
    return r === undefined ? 0 : rangesMax(r);
  }

  /** The dot `replica` mints next: one past everything this context has seen from it. */
  next(replica: ReplicaId): Dot {
    return { replica, seq: this.max(replica) + 1 };
  }

  add(replica: ReplicaId, seq: number): this {
    return this.addRange(replica, seq, seq);
  }

  addRange(replica: ReplicaId, start: number, end: number): this {
    const r = this.#ranges.get(replica);
    if (r !== undefined) rangesAddMut(r, start, end);
    else if (!this.isRetired(replica)) this.#ranges.set(replica, [start, end]);
    if (replica === FOLD_REPLICA) this.#settleFrontier();
    return this;
  }

  /** Adds every dot of `other` to this context (in place). */
  join(other: CausalContext): this {
    // forEach, not for…of with destructuring: this runs for every merge, often before V8 has
    // optimized it, and the iterator protocol costs most there.
    other.#ranges.forEach((theirs, replica) => {
      const mine = this.#ranges.get(replica);
      if (mine === undefined) {
        if (!this.isRetired(replica)) this.#ranges.set(replica, theirs.slice());
      } else if (theirs.length === 2) rangesAddMut(mine, theirs[0]!, theirs[1]!);
      else this.#ranges.set(replica, rangesUnion(mine, theirs));
    });
    if (other.#frontier > this.#frontier) this.#settleFrontier();
    return this;
  }

  /** Dots of this context that `other` lacks (for retired replicas: those `other` retires). */
  subtract(other: CausalContext): CausalContext {
    const out = new Map<ReplicaId, Ranges>();
    for (const [replica, mine] of this.#ranges) {
      if (other.isRetired(replica)) continue;
      const theirs = other.#ranges.get(replica);
      const rest = theirs === undefined ? mine.slice() : rangesSubtract(mine, theirs);
      if (rest.length > 0) out.set(replica, rest);
    }
    return new CausalContext(out);
  }

  /** Dots present in both contexts (the listed dots of one that the other's frontier retires). */
  intersect(other: CausalContext): CausalContext {
    const out = new Map<ReplicaId, Ranges>();
    for (const [replica, mine] of this.#ranges) {
      const theirs = other.#ranges.get(replica);
      if (theirs === undefined) {
        if (other.isRetired(replica)) out.set(replica, mine.slice());
        continue;
      }
      const both = rangesIntersect(mine, theirs);
      if (both.length > 0) out.set(replica, both);
    }
    if (this.#frontier > 0) {
      for (const [replica, theirs] of other.#ranges) {
        if (this.isRetired(replica)) out.set(replica, theirs.slice());
      }
    }
    return new CausalContext(out);
  }

  /** True when the two contexts share at least one dot. */
  overlaps(other: CausalContext): boolean {
    const small = this.#ranges.size <= other.#ranges.size ? this : other;
    const large = small === this ? other : this;
    for (const replica of small.#ranges.keys()) {
      const theirs = large.#ranges.get(replica);
      if (
        theirs === undefined
          ? large.isRetired(replica)
          : rangesOverlap(small.#ranges.get(replica)!, theirs)
      )
        return true;
    }
    if (small.#frontier > 0) {
      for (const replica of large.#ranges.keys()) if (small.isRetired(replica)) return true;
    }
    return false;
  }

  /**
   * True when every dot of `other` is in this context. A frontier holds more dots than any
   * listing: `other`'s is included only by one at least as high.
   */
  includes(other: CausalContext): boolean {
    if (other.#frontier > this.#frontier) return false;
    for (const [replica, theirs] of other.#ranges) {
      if (this.isRetired(replica)) continue;
      const mine = this.#ranges.get(replica);
      if (mine === undefined || !rangesInclude(mine, theirs)) return false;
    }
    return true;
  }

  /** Set inclusion, read as causality: `before` means this context is a strict subset. */
  compare(other: CausalContext): CausalOrder {
    const mineInTheirs = other.includes(this);
    const theirsInMine = this.includes(other);
    if (mineInTheirs && theirsInMine) return 'equal';
    if (mineInTheirs) return 'before';
    if (theirsInMine) return 'after';
    return 'concurrent';
  }

  equals(other: CausalContext): boolean {
    if (this.#ranges.size !== other.#ranges.size) return false;
    for (const [replica, mine] of this.#ranges) {
      const theirs = other.#ranges.get(replica);
      if (theirs === undefined || !rangesEqual(mine, theirs)) return false;
    }
    return true;
  }

  clone(): CausalContext {
    const out = new Map<ReplicaId, Ranges>();
    for (const [replica, r] of this.#ranges) out.set(replica, r.slice());
    return new CausalContext(out);
  }

  get isEmpty(): boolean {
    return this.#ranges.size === 0;
  }

  /** Number of dots listed in the context (those of retired replicas are not listed). */
  get size(): number {
    let n = 0;
    for (const r of this.#ranges.values()) n += rangesSize(r);
    return n;
  }

  /** Replicas with at least one dot, in insertion order. */
  replicas(): IterableIterator<ReplicaId> {
    return this.#ranges.keys();
  }

  /** The ranges of one replica (read-only view; do not mutate). */
  rangesOf(replica: ReplicaId): readonly number[] {
    return this.#ranges.get(replica) ?? [];
  }

  /** The gap-free prefix per replica: what a plain version vector can say of this context. */
  versionVector(): VersionVector {
    const vv = new VersionVector();
    for (const [replica, r] of this.#ranges) if (r[0] === 1) vv.advance(replica, r[1]!);
    return vv;
  }

  /** The listed dots (not those of retired replicas, which the frontier holds). */
  *dots(): IterableIterator<Dot> {
    for (const [replica, r] of this.#ranges) {
      for (let i = 0; i < r.length; i += 2) {
        for (let seq = r[i]!; seq <= r[i + 1]!; seq++) yield { replica, seq };
      }
    }
  }

  toString(): string {
    const parts: string[] = [];
    for (const [replica, r] of this.#ranges) {
      const spans: string[] = [];
      for (let i = 0; i < r.length; i += 2) {
        spans.push(r[i] === r[i + 1] ? `${r[i]}` : `${r[i]}-${r[i + 1]}`);
      }
      parts.push(`${replica}:${spans.join(',')}`);
    }
    return `{${parts.join(' ')}}`;
  }
}

// Every decoded delta builds a context, and merged deltas drop theirs (see keepShape).
keepShape(new CausalContext());
