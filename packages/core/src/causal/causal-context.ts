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
import type { ReplicaId } from './replica-id.js';
import { VersionVector } from './version-vector.js';

/**
 * The set of dots a replica has seen. Stored per replica as ranges: the prefix `[1, n]` is the
 * version vector, later ranges are the dot cloud of events received out of order. Adding the
 * missing dots merges ranges, so the cloud compacts itself and the context stays
 * O(replicas) in the usual case.
 *
 * Mutating methods end in a verb (`add`, `join`); the others return fresh values.
 */
export class CausalContext {
  readonly #ranges: Map<ReplicaId, Ranges>;

  constructor(ranges?: Map<ReplicaId, Ranges>) {
    this.#ranges = ranges ?? new Map();
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
    return r !== undefined && rangesHas(r, seq);
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
    if (r === undefined) this.#ranges.set(replica, [start, end]);
    else rangesAddMut(r, start, end);
    return this;
  }

  /** Adds every dot of `other` to this context (in place). */
  join(other: CausalContext): this {
    // forEach, not for…of with destructuring: this runs for every merge, often before V8 has
    // optimized it, and the iterator protocol costs most there.
    other.#ranges.forEach((theirs, replica) => {
      const mine = this.#ranges.get(replica);
      if (mine === undefined) this.#ranges.set(replica, theirs.slice());
      else if (theirs.length === 2) rangesAddMut(mine, theirs[0]!, theirs[1]!);
      else this.#ranges.set(replica, rangesUnion(mine, theirs));
    });
    return this;
  }

  /** Dots of this context that `other` lacks. */
  subtract(other: CausalContext): CausalContext {
    const out = new Map<ReplicaId, Ranges>();
    for (const [replica, mine] of this.#ranges) {
      const theirs = other.#ranges.get(replica);
      const rest = theirs === undefined ? mine.slice() : rangesSubtract(mine, theirs);
      if (rest.length > 0) out.set(replica, rest);
    }
    return new CausalContext(out);
  }

  /** Dots present in both contexts. */
  intersect(other: CausalContext): CausalContext {
    const out = new Map<ReplicaId, Ranges>();
    for (const [replica, mine] of this.#ranges) {
      const theirs = other.#ranges.get(replica);
      if (theirs === undefined) continue;
      const both = rangesIntersect(mine, theirs);
      if (both.length > 0) out.set(replica, both);
    }
    return new CausalContext(out);
  }

  /** True when the two contexts share at least one dot. */
  overlaps(other: CausalContext): boolean {
    const small = this.#ranges.size <= other.#ranges.size ? this.#ranges : other.#ranges;
    const large = small === this.#ranges ? other.#ranges : this.#ranges;
    for (const replica of small.keys()) {
      const theirs = large.get(replica);
      if (theirs !== undefined && rangesOverlap(small.get(replica)!, theirs)) return true;
    }
    return false;
  }

  /** True when every dot of `other` is in this context. */
  includes(other: CausalContext): boolean {
    for (const [replica, theirs] of other.#ranges) {
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

  /** Number of dots in the context. */
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
