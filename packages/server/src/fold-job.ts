import { type DocumentId, FOLD_REPLICA, GCounter, isRetiredBy, PNCounter } from '@helios/core';
import type { Logger } from 'pino';
import type { DocumentCache } from './documents.js';
import type { RelayMetrics } from './metrics.js';
import type { AutoFoldOptions } from './options.js';
import { foldOwner } from './retirement.js';
import type { RelayStore } from './store/relay-store.js';

/** {@link AutoFoldOptions} with every default filled in, checked. */
export type AutoFoldSchedule = Required<AutoFoldOptions>;

/** The defaults of {@link AutoFoldOptions}. */
export const AUTO_FOLD_DEFAULTS: AutoFoldSchedule = {
  intervalMs: 10_000,
  graceMs: 86_400_000,
  docsPerTick: 100,
};

/** Fills in `given`'s defaults; a `RangeError` names a bad value. */
export function resolveAutoFold(given: AutoFoldOptions): AutoFoldSchedule {
  const schedule = { ...AUTO_FOLD_DEFAULTS, ...given };
  const { intervalMs, graceMs, docsPerTick } = schedule;
  if (!(Number.isFinite(intervalMs) && intervalMs > 0)) {
    throw new RangeError(`autoFold.intervalMs must be a positive number, got ${intervalMs}`);
  }
  if (!(Number.isFinite(graceMs) && graceMs >= 0)) {
    throw new RangeError(`autoFold.graceMs must be a number ≥ 0, got ${graceMs}`);
  }
  if (!(Number.isInteger(docsPerTick) && docsPerTick > 0)) {
    throw new RangeError(`autoFold.docsPerTick must be a positive integer, got ${docsPerTick}`);
  }
  return schedule;
}

/** What the fold job needs of the relay node. */
export interface FoldJobParts {
  readonly region: string;
  /** Every region of the deployment: this one and its peers. */
  readonly regions: readonly string[];
  readonly store: RelayStore;
  readonly docs: DocumentCache;
  /** The frontier the job may fold to now (0: none; see `stableFrontier`). */
  readonly frontier: () => number;
  /** Folds counter `doc` to `frontier`; resolves whether it changed it. */
  readonly fold: (doc: DocumentId, frontier: number) => Promise<boolean>;
  readonly metrics: RelayMetrics;
  readonly logger: Logger;
  readonly now: () => number;
}

/** What the fold job has done, for the admin endpoint. */
export interface FoldJobStatus {
  /** Documents looked at, and counters folded, since the relay started. */
  readonly scanned: number;
  readonly folded: number;
  /** Complete passes over the store's documents. */
  readonly passes: number;
  /** When the last tick ran (ms since the epoch); 0 before the first. */
  readonly lastTickAt: number;
}

/**
 * The scheduled fold: walks the store's documents `docsPerTick` at a time, one tick every
 * `intervalMs`, and folds each G- or PN-Counter this region owns (`foldOwner`) that holds a
 * replica the stable frontier retires. A tick yields to the event loop between documents and
 * the next tick is scheduled only once it is done, so the job never stalls the relay or piles up;
 * one failed document is logged and the walk goes on.
 */
export class FoldJob {
  readonly #parts: FoldJobParts;
  readonly #schedule: AutoFoldSchedule;
  /** The last document looked at: the walk goes on after it ('' starts a pass). */
  #after: DocumentId = '';
  #status = { scanned: 0, folded: 0, passes: 0, lastTickAt: 0 };
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;

  constructor(parts: FoldJobParts, schedule: AutoFoldSchedule) {
    this.#parts = parts;
    this.#schedule = schedule;
  }

  get status(): FoldJobStatus {
    return { ...this.#status };
  }

  start(): void {
    this.#stopped = false;
    this.#next();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  #next(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.tick()
        .catch((err: unknown) => this.#parts.logger.error({ err }, 'fold job tick failed'))
        .finally(() => this.#next());
    }, this.#schedule.intervalMs);
    this.#timer.unref();
  }

  /** One tick: the next `docsPerTick` documents, folded to the stable frontier if due. */
  async tick(): Promise<void> {
    const parts = this.#parts;
    const frontier = parts.frontier();
    this.#status.lastTickAt = parts.now();
    if (frontier === 0) return;
    const limit = this.#schedule.docsPerTick;
    const ids = await parts.store.documents(this.#after, limit);
    this.#after = ids.length < limit ? '' : ids[ids.length - 1]!;
    if (this.#after === '') this.#status.passes++;
    for (const id of ids) {
      if (this.#stopped) return;
      this.#status.scanned++;
      if (foldOwner(id, parts.regions) !== parts.region) continue;
      await new Promise<void>((resolve) => setImmediate(resolve));
      try {
        if ((await this.#due(id, frontier)) && (await parts.fold(id, frontier))) {
          this.#status.folded++;
        }
      } catch (err) {
        parts.logger.warn(
          { err, doc: id, frontier },
          'folding a counter failed; retried next pass',
        );
      }
    }
  }

  /** Whether `id` is a counter that holds a replica of an epoch below `frontier`. */
  async #due(id: DocumentId, frontier: number): Promise<boolean> {
    const doc = await this.#parts.docs.get(id);
    if (doc === undefined || (doc.type !== GCounter && doc.type !== PNCounter)) return false;
    for (const replica of doc.state.context.replicas()) {
      if (replica !== FOLD_REPLICA && isRetiredBy(replica, frontier)) return true;
    }
    return false;
  }
}
