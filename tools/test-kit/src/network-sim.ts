import { type LinkConditions, LinkModel } from './link-model.js';
import type { Rng } from './rng.js';

/**
 * A seeded, deterministic network of `n` nodes for randomized tests, in the spirit of Yjs's
 * `testHelper`: opaque messages travel on virtual time, and what becomes of each (lost,
 * duplicated, overtaken, held by a partition) is the {@link LinkModel}'s decision, so a failing
 * schedule replays exactly from its seed. It knows nothing of what the messages mean.
 *
 * @example
 * const net = new NetworkSim<Uint8Array>({ seed, nodes: 3, dropRate: 0.1 }, (to, from, msg) => …);
 * net.broadcast(0, bytes);
 * net.partition([[0, 1], [2]]);
 * net.run(10);
 * net.heal();
 * net.run();
 */

/** The network's size and seed, and the conditions of every link. */
export interface NetworkSimOptions extends LinkConditions {
  /** Seeds every decision. */
  readonly seed: number;
  /** Number of nodes, addressed 0…n-1. */
  readonly nodes: number;
}

/** Counters of what the network did, for reports and for tests that want to see faults. */
export interface NetworkStats {
  readonly sent: number;
  readonly dropped: number;
  readonly duplicated: number;
  readonly delivered: number;
  /** Deliveries that overtook a message sent earlier over the same link. */
  readonly reordered: number;
}

/**
 * The conditions of a simulated network when a test names none: lossy, duplicating and
 * reordering enough that every schedule meets some of each.
 */
const UNRELIABLE: Required<LinkConditions> = {
  latencyMs: 10,
  jitterMs: 10,
  dropRate: 0.1,
  duplicateRate: 0.2,
  reorderRate: 0.3,
};

interface InFlight<M> {
  readonly from: number;
  readonly to: number;
  readonly msg: M;
  readonly at: number;
  /** Send order, for ties in `at` and to tell an overtaking delivery. */
  readonly seq: number;
}

/**
 * Messages between nodes `0…n-1` on virtual time. {@link step} delivers the message due first
 * among those whose link is reachable: a message sent over a cut link is lost, one already in
 * flight there waits until the link heals (arriving very late, which is the worst reordering a
 * real network produces).
 */
export class NetworkSim<M> {
  readonly links: LinkModel;
  readonly nodes: number;
  /** Virtual time (ms): the due time of the latest delivery. */
  now = 0;
  readonly #inFlight: InFlight<M>[] = [];
  readonly #deliver: (to: number, from: number, msg: M) => void;
  #seq = 0;
  #delivered = 0;
  #reordered = 0;

  constructor(options: NetworkSimOptions, deliver: (to: number, from: number, msg: M) => void) {
    // The conditions the options name, over the defaults; nothing else an extended options type
    // carries (a CRDT simulation's type and callbacks).
    const conditions = { ...UNRELIABLE };
    for (const name of Object.keys(UNRELIABLE) as (keyof LinkConditions)[]) {
      if (options[name] !== undefined) conditions[name] = options[name];
    }
    this.links = new LinkModel({ seed: options.seed, conditions });
    this.nodes = options.nodes;
    this.#deliver = deliver;
  }

  /** The PRNG every decision comes from. */
  get rng(): Rng {
    return this.links.rng;
  }

  get stats(): NetworkStats {
    const { sent, dropped, duplicated } = this.links.stats;
    return { sent, dropped, duplicated, delivered: this.#delivered, reordered: this.#reordered };
  }

  /** True when `from` and `to` are on the same side of the current partition. */
  canReach(from: number, to: number): boolean {
    return this.links.reachable(from, to);
  }

  /** Sends `msg` to `to`: lost, delivered once or more, as the link model decides. */
  send(from: number, to: number, msg: M): void {
    for (const at of this.links.plan(from, to, this.now)) {
      this.#inFlight.push({ from, to, msg, at, seq: this.#seq++ });
    }
  }

  /** Sends `msg` from `from` to every other node. */
  broadcast(from: number, msg: M): void {
    for (let to = 0; to < this.nodes; to++) if (to !== from) this.send(from, to, msg);
  }

  /**
   * Splits the nodes into groups that cannot reach each other. Nodes listed in no group are
   * isolated on their own.
   */
  partition(groups: readonly (readonly number[])[]): void {
    this.links.partition(groups);
  }

  /** Reconnects everyone; messages held on cut links become deliverable. */
  heal(): void {
    this.links.heal();
  }

  /** Messages in flight, including those held by a partition. */
  pending(): number {
    return this.#inFlight.length;
  }

  /**
   * Delivers the message due first over a reachable link. Returns false when no message can
   * currently be delivered.
   */
  step(): boolean {
    let next: InFlight<M> | undefined;
    for (const m of this.#inFlight) {
      if (!this.links.reachable(m.from, m.to)) continue;
      if (next === undefined || m.at < next.at || (m.at === next.at && m.seq < next.seq)) next = m;
    }
    if (next === undefined) return false;
    const { from, to, seq } = next;
    this.#inFlight.splice(this.#inFlight.indexOf(next), 1);
    if (this.#inFlight.some((m) => m.from === from && m.to === to && m.seq < seq)) {
      this.#reordered++;
    }
    this.now = Math.max(this.now, next.at);
    this.#delivered++;
    this.#deliver(to, from, next.msg);
    return true;
  }

  /** Delivers up to `maxSteps` messages; returns how many were delivered. */
  run(maxSteps = Number.POSITIVE_INFINITY): number {
    let n = 0;
    while (n < maxSteps && this.step()) n++;
    return n;
  }

  /** Forgets every message in flight (e.g. a restart that loses in-flight traffic). */
  clear(): void {
    this.#inFlight.length = 0;
  }
}
