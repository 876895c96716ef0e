import type { AnyCrdtState, ConflictDescription } from '@helios/core';
import type { Counter } from 'prom-client';
import type { RelayDocument } from './documents.js';

/** A conflict a merge on this relay left, as the admin endpoint lists it. */
export type RelayConflict = ConflictDescription & {
  readonly doc: string;
  /** The document's type, e.g. `lww-map`. */
  readonly type: string;
  /** When (ms since epoch, the relay's clock). */
  readonly at: number;
};

/** Conflicts a relay keeps for `GET /admin/conflicts`, over all documents. */
export const CONFLICT_HISTORY = 1_000;

/**
 * Counts the conflicts merges leave (`helios_conflicts_total`) and keeps the last ones, described
 * (`CrdtType.describeConflicts`), in a ring. A merge without conflict costs the count alone, as
 * before; only one that left some pays for describing them.
 */
export class ConflictLog {
  readonly #counter: Counter<'type'>;
  readonly #now: () => number;
  readonly #ring: (RelayConflict | undefined)[];
  #next = 0;

  constructor(counter: Counter<'type'>, now: () => number, capacity = CONFLICT_HISTORY) {
    this.#counter = counter;
    this.#now = now;
    this.#ring = new Array(Math.max(1, capacity));
  }

  /** `delta` was just merged into `doc`. */
  merged(doc: RelayDocument, delta: AnyCrdtState): void {
    const count = doc.type.conflicts(doc.state.store, delta.store);
    if (count === 0) return;
    this.#counter.inc({ type: doc.type.name }, count);
    // A relay merges deltas: what the delta carries is what it brought.
    const found = doc.type.describeConflicts(doc.state.store, delta.store, {
      fresh: delta.context,
    });
    const at = this.#now();
    for (const conflict of found) {
      this.#ring[this.#next] = { doc: doc.id, type: doc.type.name, ...conflict, at };
      this.#next = (this.#next + 1) % this.#ring.length;
    }
  }

  /** The kept conflicts (of document `doc`, if given), newest first. */
  recent(doc?: string): RelayConflict[] {
    const out: RelayConflict[] = [];
    const n = this.#ring.length;
    for (let i = 1; i <= n; i++) {
      const c = this.#ring[(this.#next - i + n) % n];
      if (c === undefined) break;
      if (doc === undefined || c.doc === doc) out.push(c);
    }
    return out;
  }
}
