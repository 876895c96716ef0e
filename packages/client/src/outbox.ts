import { CausalContext, isTransientRule } from '@helios/core';
import { backoffMs } from './backoff.js';
import { RefusedWriteError } from './client-error.js';
import type { Clock, TimerHandle } from './clock.js';
import type { OutboxEntry } from './persistence/persistence.js';
import type { Receipt } from './receipt.js';

/**
 * Relay error codes after which a write may still be accepted later: it stays in the outbox and
 * is pushed again. Every other refusal is final. Besides the relay's own state (busy, shutting
 * down, a fault), these are the validation rules that refuse writes following events this relay
 * has not received yet (core's `isTransientRule`): another region's, after a failover; another
 * tab's, not yet pushed. Replication brings those, and then the write is valid. For example
 * `counter-decrease`: a counter in a crdtMap restarts from zero after its key was removed, and the
 * relay, not having seen the removal yet, still holds the old, higher entry.
 */
const RELAY_TRANSIENT = new Set(['rate-limited', 'unavailable', 'internal']);
const isTransient = (code: string): boolean => RELAY_TRANSIENT.has(code) || isTransientRule(code);

/**
 * How long settled outbox entries (acknowledged or refused for good) wait before a commit takes
 * them out of the stored outbox, all together.
 */
const SETTLE_WITHIN_MS = 1_000;

/** A stored write no relay has acknowledged yet, with the receipt of this session's writes. */
export interface OutboxItem extends OutboxEntry {
  receipt: Receipt | undefined;
}

export interface OutboxOptions {
  readonly clock: Clock;
  /** Pushes items to the relay (again, after a transient refusal). */
  readonly push: (items: readonly OutboxItem[]) => void;
  /** Asks for a commit soon that takes the settled entries out of the stored outbox. */
  readonly commitSoon: () => void;
  /** The pending writes per document changed. */
  readonly onPending: (pending: Record<string, number>, total: number) => void;
  /** A relay acknowledged writes at `at` (ms since epoch). */
  readonly onAcknowledged: (at: number) => void;
  /** A uniform draw in [0, 1) for the retries' jitter ({@link backoffMs}); default `Math.random`. */
  readonly random?: () => number;
}

/**
 * Own writes waiting for a relay, in memory (their stored copies are in the persistence's
 * outbox): what acknowledgements and refusals do to them and to their receipts, the retry of
 * transient refusals, and which stored entries the next commit deletes.
 */
export class Outbox {
  readonly #options: OutboxOptions;
  readonly #items = new Map<number, OutboxItem>();
  /** Receipts of acknowledged writes, per document, until every region has them. */
  readonly #awaitingGlobal = new Map<string, Receipt[]>();
  /** Outbox ids refused for now, and when they are pushed again. */
  readonly #retrying = new Set<number>();
  #retryTimer: TimerHandle | undefined;
  /** Retries since a relay last connected: the step of the backoff ({@link backoffMs}). */
  #retries = 0;
  /** Entries settled in memory that a commit is still to take out of the stored outbox. */
  #settled: OutboxEntry[] = [];
  #settleTimer: TimerHandle | undefined;
  /** Highest outbox id seen, so ids stay unique across a fallback to memory. */
  #maxId = 0;
  #closed = false;

  constructor(options: OutboxOptions) {
    this.#options = options;
  }

  get size(): number {
    return this.#items.size;
  }

  /** The highest outbox id this client has seen. */
  get maxId(): number {
    return this.#maxId;
  }

  /** Whether entries wait to be deleted by a commit. */
  get hasSettled(): boolean {
    return this.#settled.length > 0;
  }

  items(): OutboxItem[] {
    return [...this.#items.values()];
  }

  /** Takes in entries stored by earlier sessions (or crashed tabs); they have no receipt. */
  restore(entries: readonly OutboxEntry[]): void {
    for (const entry of entries) this.#track({ ...entry, receipt: undefined });
    this.publish();
  }

  /** Takes in a write a commit just stored; {@link publish} tells of it. */
  add(item: OutboxItem): void {
    this.#track(item);
  }

  /** Reports the pending writes per document. */
  publish(): void {
    const pending: Record<string, number> = {};
    for (const item of this.#items.values()) pending[item.doc] = (pending[item.doc] ?? 0) + 1;
    this.#options.onPending(pending, this.#items.size);
  }

  /**
   * The settled entries for a commit to take out of the stored outbox, taken now, not when the
   * commit was scheduled: acks that came while the previous commit ran ride along.
   */
  takeSettled(): OutboxEntry[] {
    this.#options.clock.clearTimeout(this.#settleTimer);
    this.#settleTimer = undefined;
    return this.#settled.splice(0);
  }

  /** A relay is connected: transient refusals are retried soon again. */
  resetBackoff(): void {
    this.#retries = 0;
  }

  acknowledged(ids: readonly number[]): void {
    const done: OutboxEntry[] = [];
    for (const id of ids) {
      const item = this.#items.get(id);
      if (!item) continue;
      this.#items.delete(id);
      done.push(item);
      const receipt = item.receipt;
      if (receipt) {
        receipt.reach('relay');
        if (receipt.dot && receipt.level !== 'global') {
          const list = this.#awaitingGlobal.get(item.doc) ?? [];
          list.push(receipt);
          this.#awaitingGlobal.set(item.doc, list);
        }
      }
    }
    if (done.length === 0) return;
    this.#settle(done);
    this.#options.onAcknowledged(this.#options.clock.now());
    this.publish();
  }

  /** The relay refused push `id`: pushed again later if the refusal is transient, else failed. */
  refused(id: number, code: string, message: string): void {
    if (isTransient(code)) {
      this.#retryLater(id);
      return;
    }
    // Refused for good (validation, rights, type): it stays local; its receipt says why.
    const item = this.#items.get(id);
    if (!item) return;
    this.#items.delete(id);
    item.receipt?.fail(new RefusedWriteError(code, item.doc, message));
    this.#settle([item]);
    this.publish();
  }

  /** Every region has the dots `dots` of `doc`: their receipts reach 'global'. */
  replicated(doc: string, dots: CausalContext): void {
    const waiting = this.#awaitingGlobal.get(doc);
    if (!waiting) return;
    const still = waiting.filter((r) => {
      if (r.dot && dots.contains(r.dot)) {
        r.reach('global');
        return false;
      }
      return true;
    });
    if (still.length > 0) this.#awaitingGlobal.set(doc, still);
    else this.#awaitingGlobal.delete(doc);
  }

  /**
   * Dots of this session's writes to `doc` that no relay acknowledged yet (undefined if none):
   * what a remote writer cannot have seen.
   */
  unacknowledgedDots(doc: string): CausalContext | undefined {
    let dots: CausalContext | undefined;
    for (const item of this.#items.values()) {
      const dot = item.receipt?.dot;
      if (item.doc !== doc || !dot) continue;
      dots ??= new CausalContext();
      dots.add(dot.replica, dot.seq);
    }
    return dots;
  }

  /** Peer region `region` has the dots `dots` of `doc`: their receipts' trails say so. */
  regionReplicated(doc: string, region: string, dots: CausalContext): void {
    for (const r of this.#awaitingGlobal.get(doc) ?? []) {
      if (r.dot && dots.contains(r.dot)) r.reachRegion(region);
    }
  }

  close(): void {
    this.#closed = true;
    this.#options.clock.clearTimeout(this.#retryTimer);
    this.#options.clock.clearTimeout(this.#settleTimer);
  }

  #track(item: OutboxItem): void {
    this.#items.set(item.id, item);
    this.#maxId = Math.max(this.#maxId, item.id);
  }

  /** Pushes a transiently refused write again after a while (with its fellows, once). */
  #retryLater(id: number): void {
    if (!this.#items.has(id) || this.#closed) return;
    this.#retrying.add(id);
    if (this.#retryTimer !== undefined) return;
    const wait = backoffMs(++this.#retries, this.#options.random);
    this.#retryTimer = this.#options.clock.setTimeout(() => {
      this.#retryTimer = undefined;
      const items = [...this.#retrying].flatMap((i) => this.#items.get(i) ?? []);
      this.#retrying.clear();
      this.#options.push(items);
    }, wait);
  }

  /**
   * Takes settled entries out of the stored outbox (into the log) a second after the first of
   * them, in one commit for all, rather than with each write's commit: a write then costs one
   * record, the floor of an IndexedDB commit, and a write rarely meets the settling commit.
   * Until then a restart pushes them again, which is harmless: the relay acknowledges a
   * duplicate without applying it twice.
   */
  #settle(entries: readonly OutboxEntry[]): void {
    for (const { id, doc, delta } of entries) this.#settled.push({ id, doc, delta });
    this.#settleTimer ??= this.#options.clock.setTimeout(() => {
      this.#settleTimer = undefined;
      this.#options.commitSoon();
    }, SETTLE_WITHIN_MS);
  }
}
