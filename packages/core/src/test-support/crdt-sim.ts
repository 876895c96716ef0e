/**
 * `n` replicas of one CRDT type on test-kit's seeded {@link NetworkSim}, for randomized
 * convergence tests: every choice (which message goes next, which is lost, duplicated or
 * overtaken, who is partitioned from whom) comes from one PRNG, so a failing schedule replays
 * exactly from its seed. Local mutations are merged and broadcast as encoded deltas;
 * {@link CrdtSim.antiEntropy} then repairs whatever the network lost with pairwise
 * `deltaSince(state, digest(other))` exchanges, through the codec.
 *
 * @example
 * const sim = new CrdtSim({ type: AWSet, nodes: 5, seed });
 * sim.mutate(0, (state, r) => AWSet.add(state, r, 'x'));
 * sim.deliver(10);
 * sim.partition([[0, 1], [2, 3, 4]]);
 * sim.heal();
 * sim.antiEntropy();
 * expect(sim.divergence()).toBeUndefined();
 */

import { NetworkSim, type NetworkSimOptions, type Rng } from '@helios/test-kit';
import type { CausalContext } from '../causal/causal-context.js';
import { newReplicaId, type ReplicaId } from '../causal/replica-id.js';
import { DEFAULT_DECODE_LIMITS, type DecodeLimits } from '../codec/limits.js';
import type { CrdtState, CrdtType, SyncDigest } from '../crdt/crdt-type.js';

/** One replica of a {@link CrdtSim}: usable directly as the `actor` of a mutator. */
export interface SimReplica<S> {
  readonly index: number;
  readonly replica: ReplicaId;
  state: CrdtState<S>;
}

export interface CrdtSimOptions<S, V> extends NetworkSimOptions {
  readonly type: CrdtType<S, V>;
  /** Replica ids; default: `nodes` compact ids drawn from the seeded PRNG. */
  readonly replicaIds?: readonly ReplicaId[];
  /** Limits every received message is decoded under. */
  readonly limits?: DecodeLimits;
  /** Called after a replica merged a received delta (network or anti-entropy). */
  readonly onMerge?: (replica: SimReplica<S>, delta: CrdtState<S>) => void;
}

/**
 * `nodes` replicas of `type` on a {@link NetworkSim}. Everything that crosses the network is bytes:
 * deltas are encoded by the sender and decoded (under `limits`) by the receiver, so the codec is
 * part of every schedule. `oracle` is the join of every delta ever produced, in production
 * order: what every replica must equal once anti-entropy is done.
 */
export class CrdtSim<S, V> {
  readonly type: CrdtType<S, V>;
  readonly net: NetworkSim<Uint8Array>;
  readonly replicas: SimReplica<S>[];
  readonly oracle: CrdtState<S>;
  /** A PRNG for the test's own choices, independent of the network's. */
  readonly rng: Rng;
  readonly limits: DecodeLimits;
  /** Anti-entropy messages exchanged (non-empty deltas only). */
  antiEntropyDeltas = 0;
  readonly #onMerge: ((replica: SimReplica<S>, delta: CrdtState<S>) => void) | undefined;

  constructor(options: CrdtSimOptions<S, V>) {
    this.type = options.type;
    this.limits = options.limits ?? DEFAULT_DECODE_LIMITS;
    this.#onMerge = options.onMerge;
    this.net = new NetworkSim<Uint8Array>(options, (to, _from, bytes) => this.#receive(to, bytes));
    this.rng = this.net.rng.fork();
    const ids =
      options.replicaIds ??
      Array.from({ length: options.nodes }, () => newReplicaId((n) => this.rng.bytes(n)));
    if (ids.length !== options.nodes || new Set(ids).size !== ids.length) {
      throw new RangeError('replicaIds must hold `nodes` distinct ids');
    }
    this.replicas = ids.map((replica, index) => ({ index, replica, state: this.type.empty() }));
    this.oracle = this.type.empty();
  }

  /**
   * Runs a mutator on replica `i`, merges its delta locally and broadcasts it. Returns the delta
   * (already merged; do not merge it again).
   */
  mutate(
    i: number,
    fn: (state: CrdtState<S>, replica: SimReplica<S>) => CrdtState<S>,
  ): CrdtState<S> {
    const r = this.replicas[i]!;
    const delta = fn(r.state, r);
    this.type.merge(r.state, delta);
    this.type.merge(this.oracle, delta);
    this.net.broadcast(i, this.type.encode(delta));
    return delta;
  }

  /** Delivers up to `maxSteps` queued messages (all deliverable ones by default). */
  deliver(maxSteps?: number): number {
    return this.net.run(maxSteps);
  }

  partition(groups: readonly (readonly number[])[]): void {
    this.net.partition(groups);
  }

  heal(): void {
    this.net.heal();
  }

  /**
   * Pairwise anti-entropy between reachable replicas, in random order, until a whole round sends
   * nothing: `b` sends its digest (context and live dots, encoded as empty states) and `a` answers
   * with `deltaSince(a, digest)`, encoded. Returns the number of rounds.
   * @throws {Error} when not quiescent after `maxRounds` rounds (the sync protocol livelocks).
   */
  antiEntropy(maxRounds = 20): number {
    const n = this.replicas.length;
    for (let round = 1; round <= maxRounds; round++) {
      const pairs: [number, number][] = [];
      for (let a = 0; a < n; a++) {
        for (let b = 0; b < n; b++) if (a !== b && this.net.canReach(a, b)) pairs.push([a, b]);
      }
      let sent = 0;
      for (const [a, b] of this.rng.shuffle(pairs)) {
        const digest = this.#digestOverWire(this.replicas[b]!.state);
        const delta = this.type.deltaSince(this.replicas[a]!.state, digest);
        if (delta.context.isEmpty && this.type.kind.isEmpty(delta.store)) continue;
        sent++;
        this.antiEntropyDeltas++;
        this.#receive(b, this.type.encode(delta));
      }
      if (sent === 0) return round;
    }
    throw new Error(`anti-entropy not quiescent after ${maxRounds} rounds`);
  }

  /**
   * Why the replicas differ from each other or from the oracle (first difference found), or
   * `undefined` when all states are equal. Values are compared with `sameValue`.
   */
  divergence(sameValue: (a: V, b: V) => boolean = defaultSameValue): string | undefined {
    const ref = this.oracle;
    for (const r of this.replicas) {
      if (!this.type.equals(r.state, ref)) {
        return `replica ${r.index} (${r.replica}) state differs from the oracle: context ${r.state.context} vs ${ref.context}`;
      }
      if (!sameValue(this.type.value(r.state), this.type.value(ref))) {
        return `replica ${r.index} (${r.replica}) value differs from the oracle`;
      }
    }
    return undefined;
  }

  #digestOverWire(state: CrdtState<S>): SyncDigest {
    const d = this.type.digest(state);
    return { context: this.#contextOverWire(d.context), live: this.#contextOverWire(d.live) };
  }

  #contextOverWire(context: CausalContext): CausalContext {
    const bytes = this.type.encode({ context, store: this.type.kind.empty() });
    return this.type.decode(bytes, this.limits).context;
  }

  #receive(to: number, bytes: Uint8Array): void {
    const r = this.replicas[to]!;
    const delta = this.type.decode(bytes, this.limits);
    this.type.merge(r.state, delta);
    this.#onMerge?.(r, delta);
  }
}

/**
 * Structural equality of CRDT values as applications read them: numbers, `Value`s, arrays,
 * `Map`s and `Set`s (compared by content, not insertion order), `Uint8Array`s.
 */
export function defaultSameValue(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

/** A string that is equal for structurally equal values (Maps and Sets sorted by key). */
export function canonical(v: unknown): string {
  if (v === undefined) return 'u';
  if (v === null || typeof v === 'boolean') return String(v);
  if (typeof v === 'number') return Object.is(v, -0) ? 'n-0' : `n${v}`;
  if (typeof v === 'string') return JSON.stringify(v);
  if (v instanceof Uint8Array) return `b[${v.join(',')}]`;
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v instanceof Map) {
    const items = [...v].map(([k, x]) => `${canonical(k)}=>${canonical(x)}`).sort();
    return `M{${items.join(',')}}`;
  }
  if (v instanceof Set) return `S{${[...v].map(canonical).sort().join(',')}}`;
  if (typeof v === 'object') {
    const items = Object.entries(v as Record<string, unknown>)
      .map(([k, x]) => `${JSON.stringify(k)}:${canonical(x)}`)
      .sort();
    return `{${items.join(',')}}`;
  }
  throw new TypeError(`cannot compare a ${typeof v}`);
}
