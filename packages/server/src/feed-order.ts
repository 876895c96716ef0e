import type { FeedBatch, FeedEntry } from '@helios/core/protocol';

/**
 * The most ranges a link keeps past a gap in a peer's feed. A batch lost in flight leaves one
 * gap, and the batches behind it join into one range as they come; many disjoint ranges mean a
 * broken or hostile peer, and keeping them would cost memory without bound.
 */
export const MAX_GAPS = 256;

/** Feed positions `(after, last]`: a batch's, or several adjacent batches' together. */
export interface FeedRange {
  readonly after: number;
  readonly last: number;
}

/** The positions a feed batch covers. */
export function rangeOf(batch: FeedBatch): FeedRange {
  return { after: batch.after, last: batch.entries[batch.entries.length - 1]!.seq };
}

/** What {@link FeedOrder.add} did with a range. */
export type FeedRangeAdded = 'added' | 'covered' | 'full';

/**
 * The positions of a peer's feed a link has taken since it asked for the feed from some
 * position: the contiguous prefix, and the ranges past a gap. A transport may deliver feed
 * batches out of order (one stream each) and twice (resent after a new request); each batch
 * covers the positions `(after, last seq]` (see `FeedBatch`), so the prefix grows only once
 * every batch before a position has arrived. Seqs the feed skips lie inside some batch's range,
 * so they never look like a gap, and a batch not received yet always does.
 */
export class FeedOrder {
  #contiguous: number;
  /** Ranges past the prefix: disjoint, not adjacent to each other or to it, by position. */
  #ahead: FeedRange[] = [];
  readonly #maxGaps: number;

  /** Starts with every position up to `from` covered: where the feed was asked from. */
  constructor(from: number, maxGaps = MAX_GAPS) {
    this.#contiguous = from;
    this.#maxGaps = maxGaps;
  }

  /** Every position up to this one is covered: where the link's cursor may go. */
  get contiguous(): number {
    return this.#contiguous;
  }

  /** The ranges past a gap, in order. */
  get ahead(): readonly FeedRange[] {
    return this.#ahead;
  }

  /** Whether feed position `seq` is covered: an entry with this seq was taken already. */
  covers(seq: number): boolean {
    return seq <= this.#contiguous || this.#ahead.some((r) => r.after < seq && seq <= r.last);
  }

  /**
   * Takes a feed batch: records its range (see {@link add}) and returns its entries not covered
   * before; none if its range only adds seqs the feed skips.
   */
  take(batch: FeedBatch): FeedEntry[] | 'covered' | 'full' {
    const fresh = batch.entries.filter((e) => !this.covers(e.seq));
    const added = this.add(rangeOf(batch));
    return added === 'added' ? fresh : added;
  }

  /**
   * Records the positions `(after, last]`: `'covered'` if all were already, `'full'` (changing
   * nothing) if keeping them would leave more than `maxGaps` ranges past a gap, `'added'`
   * otherwise.
   */
  add({ after, last }: FeedRange): FeedRangeAdded {
    if (last <= after || this.#covered(after, last)) return 'covered';
    if (after <= this.#contiguous) {
      this.#contiguous = last;
      // Ranges now adjacent to the prefix join it.
      while (this.#ahead.length > 0 && this.#ahead[0]!.after <= this.#contiguous) {
        this.#contiguous = Math.max(this.#contiguous, this.#ahead.shift()!.last);
      }
      return 'added';
    }
    // Overlapping or adjacent ranges join the new one.
    const joins = (r: FeedRange) => r.after <= last && after <= r.last;
    const joined = this.#ahead.filter(joins);
    const range = {
      after: Math.min(after, ...joined.map((r) => r.after)),
      last: Math.max(last, ...joined.map((r) => r.last)),
    };
    const rest = this.#ahead.filter((r) => !joins(r));
    if (rest.length + 1 > this.#maxGaps) return 'full';
    this.#ahead = [
      ...rest.filter((r) => r.last < range.after),
      range,
      ...rest.filter((r) => r.after > range.last),
    ];
    return 'added';
  }

  #covered(after: number, last: number): boolean {
    if (last <= this.#contiguous) return true;
    return this.#ahead.some((r) => r.after <= after && last <= r.last);
  }
}

/**
 * A link's place in a peer's feed since it asked for it from some position: the batches it
 * received (queued to merge, or merged), whose duplicates it skips, and those it merged, whose
 * contiguous prefix is as far as its cursor may go. Batches are merged in the order received,
 * so the merged positions are what was received a moment before: never more gaps.
 */
export class FeedProgress {
  readonly #received: FeedOrder;
  readonly #merged: FeedOrder;

  constructor(from: number, maxGaps = MAX_GAPS) {
    this.#received = new FeedOrder(from, maxGaps);
    this.#merged = new FeedOrder(from, maxGaps);
  }

  /** A batch arrives: its entries to merge (see {@link FeedOrder.take}). */
  receive(batch: FeedBatch): FeedEntry[] | 'covered' | 'full' {
    return this.#received.take(batch);
  }

  /** Records that the entries received in `range` are merging; returns the merged prefix. */
  merging(range?: FeedRange): number {
    if (range !== undefined) this.#merged.add(range);
    return this.#merged.contiguous;
  }
}

/**
 * The name of the store cursor into a peer's feed: per region and the epoch of its store, so a
 * recreated store (seqs from 1 again) starts from 0. A peer that names no epoch (an older
 * relay) keeps the plain region, as before epochs existed.
 */
export function cursorName(region: string, epoch: string | undefined): string {
  return epoch === undefined ? region : `${region}@${epoch}`;
}
