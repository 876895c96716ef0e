import { type AnyCrdtState, HybridLogicalClock } from '@helios/core';
import type { Logger } from 'pino';
import type { MergeCore } from './merge-core.js';
import { sqlWriteDelta } from './sql-write-ops.js';
import { StoreError } from './store/errors.js';
import type { WriteRequest, WriteRequestQueue } from './store/relay-store.js';

/** Requests read from the queue at a time. */
const PAGE = 500;

/**
 * Applies the writes queued in the store (SQL writes, docs/sql.md) as deltas of the relay's own
 * replica, through the same merge-and-commit path as a client's delta: durable, fanned out to
 * subscribers and replicated to peer regions. Each request leaves the queue in the transaction
 * that commits its change, so a relay killed in between applies it again on restart (or another
 * node does). A request the document refuses is moved to the failures with the reason.
 *
 * Requests are applied in queue order; their commits are grouped like clients' deltas.
 */
export class SqlWriter {
  readonly #queue: WriteRequestQueue;
  readonly #core: MergeCore;
  readonly #logger: Logger;
  readonly #clock: HybridLogicalClock;
  /** Requests merged whose commit has not settled: a drain meanwhile must not apply them again. */
  readonly #inFlight = new Set<number>();
  #watch: { stop(): Promise<void> } | undefined;
  #draining: Promise<void> | undefined;
  #again = false;

  constructor(queue: WriteRequestQueue, core: MergeCore, logger: Logger) {
    this.#queue = queue;
    this.#core = core;
    this.#logger = logger;
    this.#clock = new HybridLogicalClock({ replica: queue.replica });
  }

  start(): void {
    this.#watch = this.#queue.watch(
      () => this.#wake(),
      (err) => this.#logger.warn({ err }, 'SQL writes: connection lost; retrying'),
    );
  }

  /** Stops watching, and waits for the requests being applied. */
  async stop(): Promise<void> {
    await this.#watch?.stop();
    this.#watch = undefined;
    await this.#draining;
  }

  #wake(): void {
    if (this.#draining !== undefined) {
      this.#again = true;
      return;
    }
    this.#draining = this.#drain()
      .catch((err: unknown) => this.#logger.error({ err }, 'SQL writes: applying failed; retrying'))
      .finally(() => {
        this.#draining = undefined;
        if (this.#again && this.#watch !== undefined) this.#wake();
      });
  }

  async #drain(): Promise<void> {
    this.#again = false;
    for (;;) {
      const page = (await this.#queue.pending(PAGE)).filter((r) => !this.#inFlight.has(r.id));
      const commits: Promise<void>[] = [];
      for (const request of page) commits.push((await this.#apply(request)).committed);
      await Promise.all(commits);
      if (page.length < PAGE) return;
    }
  }

  /**
   * Merges one request's delta (in queue order: the next request sees it) and returns its
   * commit. A request refused by its document is failed; a commit that fails leaves the request
   * queued for the next drain.
   */
  async #apply(request: WriteRequest): Promise<{ committed: Promise<void> }> {
    this.#inFlight.add(request.id);
    const settled = () => {
      this.#inFlight.delete(request.id);
    };
    const done = { committed: Promise.resolve() };
    const refuse = async (reason: string) => {
      this.#logger.warn({ request: request.id, reason }, 'SQL write refused');
      await this.#queue.fail(request.id, reason);
      settled();
      return done;
    };
    try {
      // A store error here (an outage) ends the drain: the request stays queued for the next.
      const doc = await this.#core.docs.get(request.doc);
      if (doc === undefined) return await refuse(`there is no document "${request.doc}"`);
      await this.#core.refresh(doc);
      let delta: AnyCrdtState;
      try {
        delta = sqlWriteDelta(doc.type, doc.state, request, this.#clock);
      } catch (err) {
        // Whatever the mutator refuses is this request's fault: it must not hold up the queue.
        return await refuse(err instanceof Error ? err.message : String(err));
      }
      const committed = this.#core
        .applyOwn(doc, delta, request.id, this.#queue.fence)
        .then(settled, (err: unknown) => {
          settled();
          // Another node applied it (it took over the queue meanwhile): the request is gone. Or
          // it took the turn since: the request stays queued, for that node to apply.
          if (
            err instanceof StoreError &&
            (err.code === 'already-applied' || err.code === 'fenced')
          )
            return;
          this.#logger.error({ err, request: request.id }, 'SQL write: commit failed; retrying');
        });
      return { committed };
    } catch (err) {
      settled();
      throw err;
    }
  }
}
