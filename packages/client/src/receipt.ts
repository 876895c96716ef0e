import type { Dot } from '@helios/core';
import type { WriteStage } from './client-events.js';

/**
 * Told of each step of a receipt's trail (see `WriteTrail`): one function for every receipt of a
 * client, so a write allocates nothing for it.
 */
export type TrailObserver = (
  receipt: Receipt,
  stage: WriteStage,
  region?: string,
  error?: Error,
) => void;

/**
 * How far a write has travelled:
 * - `pending`: applied to the local replica (the value already shows it);
 * - `local`: durable in this browser (IndexedDB, or memory when storage is unavailable);
 * - `relay`: acknowledged by the region's relay after its durable commit;
 * - `global`: durable in every region.
 */
export type DurabilityLevel = 'pending' | 'local' | 'relay' | 'global';

const ORDER: Record<DurabilityLevel, number> = { pending: 0, local: 1, relay: 2, global: 3 };

/** A write's progress; await `receipt.wait('relay')` or watch `receipt.level`. */
export class Receipt {
  /** The document written. */
  readonly doc: string;
  /** The dot this write minted: its identity across replicas. */
  readonly dot: Dot | undefined;
  #level: DurabilityLevel = 'pending';
  #error: Error | undefined;
  readonly #waiters: { level: DurabilityLevel; resolve: () => void; reject: (e: Error) => void }[] =
    [];
  readonly #listeners = new Set<(level: DurabilityLevel) => void>();
  readonly #trail: TrailObserver | undefined;
  /** Peer regions that have the write (created when the first one does). */
  #regions: Set<string> | undefined;

  /** @param trail - Told of each step (the client's event stream); none for a caller's own. */
  constructor(doc: string, dot: Dot | undefined, trail?: TrailObserver) {
    this.doc = doc;
    this.dot = dot;
    this.#trail = trail;
  }

  get level(): DurabilityLevel {
    return this.#level;
  }

  /** Set when the write could not be made durable locally (it still shows in memory). */
  get error(): Error | undefined {
    return this.#error;
  }

  /** Resolves once the write reached `level` (or rejects if it cannot). */
  wait(level: Exclude<DurabilityLevel, 'pending'> = 'local'): Promise<void> {
    if (ORDER[this.#level] >= ORDER[level]) return Promise.resolve();
    if (this.#error) return Promise.reject(this.#error);
    return new Promise((resolve, reject) => this.#waiters.push({ level, resolve, reject }));
  }

  /**
   * Calls `listener` on every level change, and once when the write fails (then `error` is set
   * and the level stays where it was); returns the unsubscribe function.
   */
  subscribe(listener: (level: DurabilityLevel) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** @internal Raises the level (never lowers it). */
  reach(level: DurabilityLevel): void {
    if (ORDER[level] <= ORDER[this.#level]) return;
    this.#level = level;
    this.#trail?.(this, level);
    for (let i = this.#waiters.length - 1; i >= 0; i--) {
      const w = this.#waiters[i]!;
      if (ORDER[w.level] <= ORDER[level]) {
        this.#waiters.splice(i, 1);
        w.resolve();
      }
    }
    for (const l of this.#listeners) l(level);
  }

  /** @internal Peer region `region` has the write: told once per region, before `global`. */
  reachRegion(region: string): void {
    if (this.#level === 'global' || this.#regions?.has(region)) return;
    this.#regions ??= new Set();
    this.#regions.add(region);
    this.#trail?.(this, 'region', region);
  }

  /** @internal The write cannot become durable at `level` or beyond. */
  fail(error: Error): void {
    if (this.#error) return;
    this.#error = error;
    this.#trail?.(this, 'failed', undefined, error);
    for (const w of this.#waiters.splice(0)) w.reject(error);
    for (const l of this.#listeners) l(this.#level);
  }
}
