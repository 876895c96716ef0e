import type { NewChange, RelayStore, StoredChange } from './store/relay-store.js';

/** What reads this region's feed (the peers' feed streams, replication): the store's feed calls. */
export type FeedSource = Pick<RelayStore, 'readFeed' | 'feedStart' | 'documents' | 'release'>;

/** Own-region changes a {@link FeedTail} keeps by default: two peer windows' worth. */
const TAIL_CHANGES = 10_000;

/**
 * The newest changes of this region's feed, as this node committed them, kept in memory so that
 * the peers' feed streams and replication read what was just committed without asking the store.
 * Each such read was a call to the store's worker thread (a message both ways, a wake-up of the
 * worker, and a wait behind the commit it may be writing), once per peer region for every
 * commit: on a relay with four peers, five calls per commit instead of one.
 *
 * The tail is complete above {@link #from}: it holds every own-region change with a higher seq.
 * That holds only where this node is the store's one writer, so a relay whose store several
 * nodes share keeps none. It starts at the first commit it sees, and starts over after a commit
 * fails (whose changes the store may hold or not). A read from below it goes to the store.
 */
export class FeedTail {
  readonly #region: string;
  readonly #max: number;
  /** Own-region changes with seq above `#from`, oldest first; `#first` is the oldest kept. */
  #changes: StoredChange[] = [];
  #first = 0;
  /** Every own-region change with a higher seq is in `#changes`; undefined before a commit. */
  #from: number | undefined;

  constructor(region: string, max = TAIL_CHANGES) {
    this.#region = region;
    this.#max = max;
  }

  /**
   * Records a commit: its changes with their seqs, or, with `seqs` undefined, a commit that
   * failed. Commits must be recorded in the order the store applied them.
   */
  record(changes: readonly NewChange[], seqs: readonly number[] | undefined): void {
    if (seqs === undefined || seqs.length !== changes.length) {
      this.#restart();
      return;
    }
    if (seqs.length === 0) return;
    const last = this.#changes.at(-1)?.seq ?? this.#from;
    if (last !== undefined && seqs[0]! <= last) {
      this.#restart(); // out of order: the tail can no longer tell what it misses
      return;
    }
    this.#from ??= seqs[0]! - 1;
    changes.forEach((change, i) => {
      if (change.origin === this.#region) this.#changes.push({ ...change, seq: seqs[i]! });
    });
    const excess = this.#changes.length - this.#first - this.#max;
    if (excess > 0) {
      this.#first += excess;
      this.#from = this.#changes[this.#first - 1]!.seq;
      // Compacts now and then rather than shifting at every commit.
      if (this.#first >= this.#max) {
        this.#changes = this.#changes.slice(this.#first);
        this.#first = 0;
      }
    }
  }

  /**
   * What `RelayStore.readFeed(after, limit)` would return, if the tail holds all of it:
   * `undefined` when it may not (a read from below the tail, or before any commit).
   */
  read(after: number, limit: number): StoredChange[] | undefined {
    if (this.#from === undefined || after < this.#from) return undefined;
    const changes = this.#changes;
    let lo = this.#first;
    let hi = changes.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (changes[mid]!.seq <= after) lo = mid + 1;
      else hi = mid;
    }
    return changes.slice(lo, lo + limit);
  }

  /** `store`'s feed, read from this tail where it can. */
  source(store: RelayStore): FeedSource {
    return {
      readFeed: (after, limit) => {
        const held = this.read(after, limit);
        return held !== undefined ? Promise.resolve(held) : store.readFeed(after, limit);
      },
      feedStart: () => store.feedStart(),
      documents: (after, limit) => store.documents(after, limit),
      release: (upTo) => store.release(upTo),
    };
  }

  #restart(): void {
    this.#changes = [];
    this.#first = 0;
    this.#from = undefined;
  }
}
