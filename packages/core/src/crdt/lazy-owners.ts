import type { ReplicaId } from '../causal/replica-id.js';
import type { Key } from '../codec/value.js';
import { LazyMap, type MapSource } from './lazy-map.js';

/** The dots one replica holds in a snapshot's store: seqs ascending, with their keys' indices. */
export interface DotsOfReplica {
  readonly seqs: Float64Array;
  readonly keys: Uint32Array;
}

/** Where {@link LazyOwners} reads which key holds each dot. */
export interface OwnerSource {
  /** The snapshot's replica table. */
  readonly ids: readonly ReplicaId[];
  /** How many dots a replica holds, and the highest of their seqs: known without its dots. */
  dotSummary(replicaIndex: number): { count: number; maxSeq: number };
  /** One replica's `seq → key`, as {@link bySeqSource} makes it or better. */
  bySeq(replicaIndex: number): MapSource<number, Key>;
}

/** A source of one replica's dots, all at once: what {@link bySeqSource} reads. */
export interface DotsSource {
  dotSummary(replicaIndex: number): { count: number; maxSeq: number };
  dotsOf(replicaIndex: number): DotsOfReplica;
  keyAt(keyIndex: number): Key;
}

/** The index of `seq` in ascending `seqs`, or -1. */
export function indexOfSeq(seqs: Float64Array, seq: number): number {
  let lo = 0;
  let hi = seqs.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const s = seqs[mid]!;
    if (s < seq) lo = mid + 1;
    else if (s > seq) hi = mid - 1;
    else return mid;
  }
  return -1;
}

/**
 * One replica's `seq → key` from a snapshot, found by binary search over its sorted seqs, which
 * are gathered on first use: a seq above the replica's highest (a write made since, the usual
 * merge) is known absent without them.
 */
export function bySeqSource(replica: number, source: DotsSource): MapSource<number, Key> {
  const { count, maxSeq } = source.dotSummary(replica);
  let dots: DotsOfReplica | undefined;
  const all = () => {
    dots ??= source.dotsOf(replica);
    return dots;
  };
  return {
    size: count,
    find: (seq) => (seq > maxSeq ? -1 : indexOfSeq(all().seqs, seq)),
    keyAt: (i) => all().seqs[i]!,
    valueAt: (i) => source.keyAt(all().keys[i]!),
  };
}

/**
 * The owners index of a DotMap decoded from a snapshot (`replica → seq → key`), built one replica
 * at a time when a merge first asks for it: each replica's map is a {@link LazyMap} over its
 * sorted dots, so a delta that touches a few dots looks up a few keys.
 */
export class LazyOwners extends Map<ReplicaId, Map<number, Key>> {
  readonly #source: OwnerSource;
  /** Replicas not yet looked at, by id: their index in the table. */
  readonly #pending = new Map<ReplicaId, number>();

  constructor(source: OwnerSource) {
    super();
    this.#source = source;
    source.ids.forEach((id, i) => {
      this.#pending.set(id, i);
    });
  }

  /** Adds the map of `replica` if it holds dots and was not looked at yet. */
  #load(replica: ReplicaId): void {
    const i = this.#pending.get(replica);
    if (i === undefined) return;
    this.#pending.delete(replica);
    if (this.#source.dotSummary(i).count > 0) {
      super.set(replica, new LazyMap(this.#source.bySeq(i)));
    }
  }

  #loadAll(): void {
    for (const replica of [...this.#pending.keys()]) this.#load(replica);
  }

  override get size(): number {
    this.#loadAll();
    return super.size;
  }

  override get(replica: ReplicaId): Map<number, Key> | undefined {
    this.#load(replica);
    return super.get(replica);
  }

  override has(replica: ReplicaId): boolean {
    this.#load(replica);
    return super.has(replica);
  }

  override set(replica: ReplicaId, bySeq: Map<number, Key>): this {
    this.#pending.delete(replica);
    return super.set(replica, bySeq);
  }

  override delete(replica: ReplicaId): boolean {
    this.#load(replica);
    return super.delete(replica);
  }

  override clear(): void {
    this.#pending.clear();
    super.clear();
  }

  override forEach(
    fn: (
      bySeq: Map<number, Key>,
      replica: ReplicaId,
      map: Map<ReplicaId, Map<number, Key>>,
    ) => void,
    thisArg?: unknown,
  ): void {
    this.#loadAll();
    super.forEach(fn, thisArg);
  }

  override entries(): MapIterator<[ReplicaId, Map<number, Key>]> {
    this.#loadAll();
    return super.entries();
  }

  override keys(): MapIterator<ReplicaId> {
    this.#loadAll();
    return super.keys();
  }

  override values(): MapIterator<Map<number, Key>> {
    this.#loadAll();
    return super.values();
  }

  override [Symbol.iterator](): MapIterator<[ReplicaId, Map<number, Key>]> {
    return this.entries();
  }
}
