import type { WriteEvent, WriteStage } from './source.js';

/** One step of a write's trail. */
export interface TrailStep {
  readonly stage: WriteStage;
  readonly region?: string;
  readonly error?: { readonly code: string; readonly message: string };
  readonly at: number;
}

/** Every step seen of one write (one dot), in the order they came. */
export interface WriteTrail {
  /** `replica:seq`. */
  readonly dot: string;
  readonly doc: string;
  readonly steps: readonly TrailStep[];
  /** When the write was applied (`pending`); the first step seen if that one was not. */
  readonly start: number;
  /** Whether its `pending` step was seen: if not, times are relative to its first step seen. */
  readonly sawPending: boolean;
  readonly failed: boolean;
}

interface MutableTrail {
  dot: string;
  doc: string;
  steps: TrailStep[];
  start: number;
  sawPending: boolean;
  failed: boolean;
  /** Counted in its document's pending count, and not yet settled (acknowledged or failed). */
  counted: boolean;
  /** A step that settles it (acknowledged or failed) was seen. */
  settled: boolean;
}

/** A document's count of writes applied and not yet acknowledged by a relay, at a time. */
export interface PendingSample {
  readonly pending: number;
  readonly at: number;
}

/** Stages after which a write no longer counts as pending: a relay has it, or it failed. */
const SETTLED: ReadonlySet<WriteStage> = new Set(['relay', 'region', 'global', 'failed']);

/**
 * Groups write events into trails by document and dot, keeping the last `limit` writes (the
 * oldest trail goes when a new one would exceed it), and derives each document's pending count
 * over time from them (the outbox events count all documents together).
 */
export class WriteTrails {
  readonly #trails = new Map<string, MutableTrail>();
  readonly #pending = new Map<string, { count: number; samples: PendingSample[] }>();

  constructor(readonly limit: number) {}

  add(event: WriteEvent): void {
    const dot = `${event.replica}:${event.seq}`;
    // A dot names a write everywhere, but keyed with its document too, so that two documents'
    // writes never share a trail whatever the client's numbering.
    const key = `${event.doc}\u0000${dot}`;
    let trail = this.#trails.get(key);
    if (trail === undefined) {
      trail = {
        dot,
        doc: event.doc,
        steps: [],
        start: event.at,
        sawPending: false,
        failed: false,
        counted: false,
        settled: false,
      };
      this.#trails.set(key, trail);
      if (this.#trails.size > this.limit) this.#evictOldest(event.at);
    }
    const { stage, at } = event;
    trail.steps.push({
      stage,
      at,
      ...(event.region === undefined ? {} : { region: event.region }),
      ...(event.error === undefined ? {} : { error: event.error }),
    });
    if (stage === 'pending' && !trail.sawPending) {
      trail.sawPending = true;
      trail.start = at;
      // Reported after a step that settles it (out of order): it was never waiting.
      if (!trail.settled) {
        trail.counted = true;
        this.#count(event.doc, +1, at);
      }
    } else if (SETTLED.has(stage)) {
      trail.settled = true;
      if (trail.counted) {
        trail.counted = false;
        this.#count(event.doc, -1, at);
      }
    }
    if (stage === 'failed') trail.failed = true;
  }

  /** The trails (of `doc` alone if given), newest first. */
  list(doc?: string): WriteTrail[] {
    const out: WriteTrail[] = [];
    for (const trail of this.#trails.values())
      if (doc === undefined || trail.doc === doc) out.push(trail);
    return out.reverse();
  }

  /** `doc`'s pending count over time, oldest first (at most `limit` samples). */
  pending(doc: string): readonly PendingSample[] {
    return this.#pending.get(doc)?.samples ?? [];
  }

  clear(): void {
    this.#trails.clear();
    this.#pending.clear();
  }

  #count(doc: string, delta: number, at: number): void {
    let entry = this.#pending.get(doc);
    if (entry === undefined) {
      entry = { count: 0, samples: [] };
      this.#pending.set(doc, entry);
    }
    entry.count += delta;
    entry.samples.push({ pending: entry.count, at });
    if (entry.samples.length > this.limit) entry.samples.shift();
  }

  #evictOldest(at: number): void {
    const [key, trail] = this.#trails.entries().next().value as [string, MutableTrail];
    this.#trails.delete(key);
    // A write dropped from view would never leave its document's pending count (its later steps
    // start a trail that was not counted): it leaves the count now instead.
    if (trail.counted) this.#count(trail.doc, -1, at);
  }
}
