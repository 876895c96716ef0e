import type { CausalOrder } from './causal-order.js';
import type { ReplicaId } from './replica-id.js';

/**
 * Per replica, the highest sequence number up to which every event has been seen. The relay
 * uses it for cursors and replication status; causal contexts use it as their gap-free prefix.
 */
export class VersionVector implements Iterable<[ReplicaId, number]> {
  readonly #entries = new Map<ReplicaId, number>();

  constructor(entries?: Iterable<readonly [ReplicaId, number]>) {
    if (entries) for (const [replica, seq] of entries) this.advance(replica, seq);
  }

  get(replica: ReplicaId): number {
    return this.#entries.get(replica) ?? 0;
  }

  /** Raises the entry of `replica` to `seq` if it is lower (in place). */
  advance(replica: ReplicaId, seq: number): this {
    if (seq > this.get(replica)) this.#entries.set(replica, seq);
    return this;
  }

  /** Pointwise maximum (in place). */
  join(other: VersionVector): this {
    for (const [replica, seq] of other) this.advance(replica, seq);
    return this;
  }

  /** Pointwise minimum: what both have seen. */
  meet(other: VersionVector): VersionVector {
    const out = new VersionVector();
    for (const [replica, seq] of this.#entries) {
      const m = Math.min(seq, other.get(replica));
      if (m > 0) out.advance(replica, m);
    }
    return out;
  }

  /** True when this vector has seen everything `other` has. */
  dominates(other: VersionVector): boolean {
    for (const [replica, seq] of other) if (this.get(replica) < seq) return false;
    return true;
  }

  compare(other: VersionVector): CausalOrder {
    const mine = this.dominates(other);
    const theirs = other.dominates(this);
    if (mine && theirs) return 'equal';
    if (theirs) return 'before';
    if (mine) return 'after';
    return 'concurrent';
  }

  get size(): number {
    return this.#entries.size;
  }

  clone(): VersionVector {
    return new VersionVector(this.#entries);
  }

  [Symbol.iterator](): IterableIterator<[ReplicaId, number]> {
    return this.#entries.entries();
  }

  toJSON(): Record<ReplicaId, number> {
    return Object.fromEntries(this.#entries);
  }
}
