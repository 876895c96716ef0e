import { createRng, type Rng } from './rng.js';

/**
 * The one model of an unreliable network that every simulated network of the tests takes its
 * decisions from: core's message scheduler ({@link NetworkSim}), the client's `MemoryTransport`
 * and the TCP proxy of relay and client tests. It decides, from one seeded PRNG, what becomes of
 * each message sent from one node to another (lost, delayed, duplicated, overtaken) and which
 * nodes can reach each other; the consumers only carry the messages out. Given a seed and the
 * same calls, it decides the same.
 */

/** How one direction of a link treats each message sent over it. */
export interface LinkConditions {
  /** One-way delay (ms). Default 0. */
  readonly latencyMs?: number;
  /** Extra delay, uniform in [0, jitterMs] (ms). Default 0. */
  readonly jitterMs?: number;
  /** Probability that a message is lost. Default 0. */
  readonly dropRate?: number;
  /** Probability that a message arrives 2 or 3 times instead of once. Default 0. */
  readonly duplicateRate?: number;
  /**
   * Probability that a message skips the latency (arriving after its jitter only), so it can
   * overtake messages sent before it: netem's `reorder`. Default 0.
   */
  readonly reorderRate?: number;
}

/** A node of the network: a replica's index, a relay's URL, a region. */
export type NodeName = string | number;

/** What the model decided so far, for reports and for tests that want to see faults. */
export interface LinkStats {
  /** Messages planned. */
  sent: number;
  /** Messages lost, by chance or because the link was cut. */
  dropped: number;
  /** Messages that arrive more than once. */
  duplicated: number;
}

export interface LinkModelOptions {
  /** Seeds every decision. */
  readonly seed: number;
  /** The conditions of every link that {@link LinkModel.set} did not give others. */
  readonly conditions?: LinkConditions;
}

/** Everything {@link LinkConditions} leaves out, at its default. */
const NONE: Required<LinkConditions> = {
  latencyMs: 0,
  jitterMs: 0,
  dropRate: 0,
  duplicateRate: 0,
  reorderRate: 0,
};

/** Matches every node in a cut, for {@link LinkModel.isolate}. */
const ANY = '\u0000any';

const key = (from: NodeName, to: NodeName): string => `${typeof from}:${from}>${typeof to}:${to}`;

/**
 * Directed links between named nodes, each with its {@link LinkConditions}, and who can reach
 * whom: a partition splits the nodes into groups, a cut stops one direction of one link, an
 * isolation every link of one node. Consumers ask {@link reachable} and {@link plan}, and learn
 * of changes in reachability through {@link onChange}.
 */
export class LinkModel {
  readonly rng: Rng;
  readonly stats: LinkStats = { sent: 0, dropped: 0, duplicated: 0 };
  readonly #defaults: Required<LinkConditions>;
  readonly #conditions = new Map<string, Required<LinkConditions>>();
  /** Stopped directions, by `key(from, to)`; {@link ANY} stands for every node. */
  readonly #cuts = new Map<string, readonly [NodeName, NodeName]>();
  readonly #listeners = new Set<() => void>();
  /** Each ordered link's latest planned arrival: a later message never arrives before it. */
  readonly #lastArrival = new Map<string, number>();
  /** The partition: nodes of different groups cannot reach each other; undefined: none. */
  #groups: Map<NodeName, number> | undefined;

  constructor(options: LinkModelOptions) {
    this.rng = createRng(options.seed);
    this.#defaults = { ...NONE, ...options.conditions };
  }

  /** Gives `from → to` its own conditions (the defaults fill what `conditions` leaves out). */
  set(from: NodeName, to: NodeName, conditions: LinkConditions): void {
    this.#conditions.set(key(from, to), { ...this.#defaults, ...conditions });
  }

  /** The conditions of `from → to`. */
  conditions(from: NodeName, to: NodeName): Required<LinkConditions> {
    return this.#conditions.get(key(from, to)) ?? this.#defaults;
  }

  /** True when what `from` sends can reach `to` now. */
  reachable(from: NodeName, to: NodeName): boolean {
    if (this.#groups !== undefined && this.#groupOf(from) !== this.#groupOf(to)) return false;
    return !(
      this.#cuts.has(key(from, to)) ||
      this.#cuts.has(key(from, ANY)) ||
      this.#cuts.has(key(ANY, to))
    );
  }

  /**
   * Splits the nodes into groups that cannot reach each other; nodes listed in no group are
   * each on their own. Cuts and isolations stay.
   */
  partition(groups: readonly (readonly NodeName[])[]): void {
    this.#groups = new Map();
    groups.forEach((group, i) => {
      for (const node of group) this.#groups!.set(node, i);
    });
    this.#changed();
  }

  /** Stops `from → to` (one direction: e.g. a relay's answers are lost, its requests are not). */
  cut(from: NodeName, to: NodeName): void {
    this.#cuts.set(key(from, to), [from, to]);
    this.#changed();
  }

  /** Cuts every link to and from `node`. */
  isolate(node: NodeName): void {
    this.#cuts.set(key(node, ANY), [node, ANY]);
    this.#cuts.set(key(ANY, node), [ANY, node]);
    this.#changed();
  }

  /**
   * Reconnects: everything (no argument), every link of `node` that a cut or an isolation
   * stopped, or both directions between `a` and `b`. A partition ends only with `heal()`.
   */
  heal(a?: NodeName, b?: NodeName): void {
    if (a === undefined) {
      this.#cuts.clear();
      this.#groups = undefined;
    } else if (b === undefined) {
      for (const [cut, [from, to]] of this.#cuts) {
        if (from === a || to === a) this.#cuts.delete(cut);
      }
    } else {
      this.#cuts.delete(key(a, b));
      this.#cuts.delete(key(b, a));
    }
    this.#changed();
  }

  /** Calls `listener` whenever reachability may have changed; returns its unsubscribe. */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * What becomes of one message sent from `from` to `to` at time `now` (ms, on the consumer's
   * clock): the times its copies arrive, none when it is lost (always, when `to` is not
   * reachable), more than one when duplicated. On an `ordered` link (a stream: TCP, a Socket.IO
   * connection) a message arrives once and never before the one sent before it: duplicates and
   * reordering do not apply, and a loss means the stream breaks.
   */
  plan(from: NodeName, to: NodeName, now: number, ordered = false): number[] {
    this.stats.sent++;
    const c = this.conditions(from, to);
    if (!this.reachable(from, to) || this.rng.chance(c.dropRate)) {
      this.stats.dropped++;
      return [];
    }
    let copies = 1;
    if (!ordered && this.rng.chance(c.duplicateRate)) {
      copies += this.rng.range(1, 2);
      this.stats.duplicated++;
    }
    const arrivals: number[] = [];
    for (let i = 0; i < copies; i++) {
      const latency = !ordered && this.rng.chance(c.reorderRate) ? 0 : c.latencyMs;
      arrivals.push(now + latency + (c.jitterMs > 0 ? this.rng.next() * c.jitterMs : 0));
    }
    if (ordered) {
      const link = key(from, to);
      arrivals[0] = Math.max(arrivals[0]!, this.#lastArrival.get(link) ?? 0);
      this.#lastArrival.set(link, arrivals[0]!);
    }
    return arrivals;
  }

  #groupOf(node: NodeName): number | string {
    // A node in no group is alone: a group of its own name, which no number equals.
    return this.#groups?.get(node) ?? key(node, ANY);
  }

  #changed(): void {
    for (const listener of [...this.#listeners]) listener();
  }
}
