import { CausalContext } from './causal-context.js';
import { admits, causalReadiness, type ReadinessRule, unseenDots } from './readiness.js';
import type { ReplicaId } from './replica-id.js';

export interface CausalBufferOptions<D> {
  /** The receiver's context, read live: the caller merges what the buffer releases into it. */
  readonly seen: () => CausalContext;
  /** The causal context of an item (a decoded delta's `context`). */
  readonly contextOf: (item: D) => CausalContext;
  /** Which readiness rule releases items. Default `strict` (see {@link ReadinessRule}). */
  readonly rule?: ReadinessRule;
  /** Most items held at once. Default 1,000. */
  readonly maxHeld?: number;
}

/** What offering an item to a {@link CausalBuffer} gives back. */
export interface BufferRelease<D> {
  /**
   * Items to merge now, in this order: each is ready once those before it are merged. The
   * offered item comes first when it was ready itself.
   */
  readonly ready: D[];
  /**
   * The offered item was not ready and the buffer was full: it was dropped. The receiver must
   * repair (ask for a state that covers it) or it may never see that write.
   */
  readonly overflow: boolean;
}

interface Held<D> {
  readonly item: D;
  readonly context: CausalContext;
  /** Dots of `context` not seen yet when last checked: what it waits for. Shrinks over time. */
  unseen: CausalContext;
  readonly order: number;
  readonly at: number;
}

/**
 * Holds deltas that arrive before a write they replace (they are not causally ready, see
 * {@link causalReadiness}) and releases them, in a valid order, once the receiver has seen what
 * they wait for: like the pending structs of Yjs, bounded.
 *
 * Items are opaque to the buffer; it needs only their contexts and the receiver's. Each held
 * item is indexed by the replicas of the dots it waits for, so the work after a merge follows
 * what the merge brought, not what the buffer holds. The caller merges what {@link add} and
 * {@link release} return; after merging anything else (a whole state, a delta that did not go
 * through the buffer) it calls {@link release} with what that brought.
 *
 * @example
 * const held = new CausalBuffer({ seen: () => doc.context, contextOf: (d) => d.context });
 * for (const d of held.add(delta).ready) Type.merge(doc, d);
 * Type.merge(doc, syncState);
 * for (const d of held.release()) Type.merge(doc, d);
 */
export class CausalBuffer<D> {
  readonly #seen: () => CausalContext;
  readonly #contextOf: (item: D) => CausalContext;
  readonly #rule: ReadinessRule;
  readonly #max: number;
  /** Held items in arrival order. */
  readonly #held = new Set<Held<D>>();
  /** Replica → held items waiting for one of its dots. */
  readonly #waiting = new Map<ReplicaId, Set<Held<D>>>();
  #order = 0;

  constructor(options: CausalBufferOptions<D>) {
    this.#seen = options.seen;
    this.#contextOf = options.contextOf;
    this.#rule = options.rule ?? 'strict';
    this.#max = options.maxHeld ?? 1_000;
  }

  /** Number of items held. */
  get size(): number {
    return this.#held.size;
  }

  /** The `now` passed with the oldest item still held, or undefined when nothing is held. */
  get heldSince(): number | undefined {
    for (const h of this.#held) return h.at;
    return undefined;
  }

  /** The dots the held items wait for (for diagnostics). */
  waitingFor(): CausalContext {
    const out = new CausalContext();
    for (const h of this.#held) out.join(h.unseen);
    return out;
  }

  /**
   * Offers an item: if it is ready it is returned with every held item it makes ready; else it
   * is held (or, when the buffer is full, dropped and reported). `now` is kept with a held item
   * for {@link heldSince}: the buffer itself keeps no time.
   */
  add(item: D, now = 0): BufferRelease<D> {
    const context = this.#contextOf(item);
    const { ready, unseen } = causalReadiness(context, this.#seen(), this.#rule);
    if (!ready) {
      if (this.#held.size >= this.#max) return { ready: [], overflow: true };
      const held: Held<D> = { item, context, unseen, order: this.#order++, at: now };
      this.#held.add(held);
      this.#index(held);
      return { ready: [], overflow: false };
    }
    const out = [item];
    if (this.#held.size > 0) this.#cascade(context, out, context.clone());
    return { ready: out, overflow: false };
  }

  /**
   * The held items that became ready because the receiver's context grew by `grown` (or by
   * anything: omit it after merging a whole state), in an order in which each is ready once
   * those before it are merged.
   */
  release(grown?: CausalContext): D[] {
    const out: D[] = [];
    if (this.#held.size > 0) this.#cascade(grown, out, new CausalContext());
    return out;
  }

  /** Drops every held item and returns them (after a repair covered them, or on giving up). */
  clear(): D[] {
    const items = [...this.#held].map((h) => h.item);
    this.#held.clear();
    this.#waiting.clear();
    return items;
  }

  /**
   * Releases held items waiting on replicas of `grown` (all of them when undefined), then those
   * waiting on what the released ones bring, until nothing more is ready. `extra` holds the
   * contexts released in this pass, which the caller has not merged yet.
   */
  #cascade(grown: CausalContext | undefined, out: D[], extra: CausalContext): void {
    let candidates: Held<D>[] =
      grown === undefined ? [...this.#held] : this.#waitingOn(grown.replicas());
    while (candidates.length > 0) {
      const brought = new CausalContext();
      for (const h of candidates) {
        if (!this.#held.has(h)) continue;
        const seen = this.#seen();
        let unseen = unseenDots(h.unseen, seen);
        if (!unseen.isEmpty && !extra.isEmpty) unseen = unseenDots(unseen, extra);
        if (admits(unseen, this.#rule)) {
          this.#unindex(h);
          this.#held.delete(h);
          out.push(h.item);
          extra.join(h.context);
          brought.join(h.context);
        } else if (!unseen.equals(h.unseen)) {
          this.#unindex(h);
          h.unseen = unseen;
          this.#index(h);
        }
      }
      candidates = brought.isEmpty ? [] : this.#waitingOn(brought.replicas());
    }
  }

  /** Held items waiting on a dot of one of `replicas`, oldest first. */
  #waitingOn(replicas: Iterable<ReplicaId>): Held<D>[] {
    const found = new Set<Held<D>>();
    for (const replica of replicas) {
      for (const h of this.#waiting.get(replica) ?? []) found.add(h);
    }
    return [...found].sort((a, b) => a.order - b.order);
  }

  #index(h: Held<D>): void {
    for (const replica of h.unseen.replicas()) {
      let set = this.#waiting.get(replica);
      if (set === undefined) {
        set = new Set();
        this.#waiting.set(replica, set);
      }
      set.add(h);
    }
  }

  #unindex(h: Held<D>): void {
    for (const replica of h.unseen.replicas()) {
      const set = this.#waiting.get(replica);
      set?.delete(h);
      if (set?.size === 0) this.#waiting.delete(replica);
    }
  }
}
