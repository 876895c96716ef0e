import type { FeedEntry } from '@helios/core/protocol';
import type { FeedRange } from './feed-order.js';

/**
 * The most feed entries merged in one commit when batches queue up: the peer's own batch size
 * (feed-stream.ts), so a backlog is merged in commits no larger than the batches it came in.
 */
export const MERGE_MAX_ENTRIES = 500;

/**
 * The feed batches a peer link received and has not merged yet, in the order received, each with
 * the feed positions it covers. The link merges a batch together with those queued behind it
 * ({@link take}): a peer sends a batch per commit of its own, and merged one commit each, a link
 * whose commits take longer than the peer's (its relay also commits its clients' writes and the
 * other links' batches) would fall further behind for as long as the load lasts.
 */
export class FeedQueue {
  #batches: FeedEntry[][] = [];
  readonly #ranges = new WeakMap<FeedEntry[], FeedRange>();

  /** The queued batches' entries, batch by batch. */
  get batches(): readonly (readonly FeedEntry[])[] {
    return this.#batches;
  }

  push(entries: FeedEntry[], range: FeedRange): void {
    this.#batches.push(entries);
    this.#ranges.set(entries, range);
  }

  /**
   * Takes `first` and the batches queued behind it, while their entries number at most `max`
   * (`first` whatever its size). Undefined when `first` is no longer queued: taken with an
   * earlier batch, or dropped by {@link clear}.
   */
  take(
    first: FeedEntry[],
    max = MERGE_MAX_ENTRIES,
  ): { entries: FeedEntry[]; ranges: FeedRange[] } | undefined {
    const at = this.#batches.indexOf(first);
    if (at < 0) return undefined;
    let end = at + 1;
    let count = first.length;
    while (end < this.#batches.length && count + this.#batches[end]!.length <= max) {
      count += this.#batches[end]!.length;
      end++;
    }
    const taken = this.#batches.splice(at, end - at);
    return { entries: taken.flat(), ranges: taken.map((b) => this.#ranges.get(b)!) };
  }

  /** Drops every queued batch (the feed is asked for again). */
  clear(): void {
    this.#batches = [];
  }
}
