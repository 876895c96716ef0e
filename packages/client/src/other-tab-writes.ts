import type { TabSettled, TabWrite, TabWrites } from './tab-channel.js';
import type { LockManagerLike } from './web-locks.js';

/** What a tab does with the writes other tabs share (the client, in `tab-stand-in.ts`). */
export interface OtherTabsHost {
  /** Whether this tab has document `doc` open: writes to other documents are not its business. */
  holds(doc: string): boolean;
  /** Merges another tab's write into the open document, which shows it. */
  apply(write: TabWrite): void;
  /** Whether the profile's storage holds the write's dot (false for a write without one). */
  isStored(write: TabWrite): Promise<boolean>;
  /** Stores the write as if this tab had made it (outbox, then the relay); resolves when stored. */
  store(write: TabWrite): Promise<void>;
}

/** One commit of another tab whose transaction had not completed when it was posted. */
interface PendingCommit {
  readonly commit: number;
  readonly writes: readonly TabWrite[];
  /** Merged here at once (its tab was watched), or held until it is stored. */
  readonly applied: boolean;
  readonly settled: Promise<void>;
  readonly settle: () => void;
}

/** A tab whose writes come before they are stored. */
interface WatchedTab {
  readonly abort: AbortController;
  /** Known alive once its slot was watched: its writes from then on are shown at once. */
  alive: boolean;
  /** Its slot lock came to this tab: what it posts late is dropped, never shown. */
  gone: boolean;
  readonly pending: PendingCommit[];
}

/**
 * Shows other tabs' writes as soon as they are posted, before their transactions complete,
 * without letting a tab that dies meanwhile leave dots behind that its replica slot would mint
 * again with other content.
 *
 * A tab posts a commit's writes as its transaction starts, and says when it is settled. The
 * first time another tab's unsettled writes come, this tab queues a request for the writer's
 * slot lock, then asks whether the writer's own tab lock is still held. The lock manager handles
 * one tab's requests in order, so a "held" answer means the slot request was queued while the
 * writer held its slot: when the writer lets it go, closing or dying, this tab gets the slot
 * lock before any tab can take the slot and mint with its id. From then on the writer's writes
 * are merged at once. Before that answer, and if the writer is already gone, they are held and
 * merged only once settled.
 *
 * When the slot lock comes, the writer's writes merged here that its storage lacks are stored
 * by this tab (as its own: outbox, relay) before the lock is let go, so the slot's next holder
 * continues after their dots. This tab's own writes to a document that shows unsettled writes
 * wait for them ({@link barrier}) before they are committed, so that no stored context covers
 * a dot that might never be stored.
 */
export class OtherTabWrites {
  readonly #locks: LockManagerLike | undefined;
  readonly #host: OtherTabsHost;
  readonly #tabs = new Map<string, WatchedTab>();

  constructor(locks: LockManagerLike | undefined, host: OtherTabsHost) {
    this.#locks = locks;
    this.#host = host;
  }

  received(message: TabWrites): void {
    const writes = message.writes.filter((w) => this.#host.holds(w.doc));
    if (writes.length === 0) return;
    if (message.stored) {
      for (const w of writes) this.#host.apply(w);
      return;
    }
    const tab = this.#tabs.get(message.tab) ?? this.#watch(message);
    if (tab.gone) return; // posted before it died, delivered after: never shown here
    const applied = tab.alive;
    if (applied) for (const w of writes) this.#host.apply(w);
    let settle = () => {};
    const settled = new Promise<void>((resolve) => {
      settle = resolve;
    });
    tab.pending.push({ commit: message.commit, writes, applied, settled, settle });
  }

  settled({ tab: id, commit }: TabSettled): void {
    const tab = this.#tabs.get(id);
    if (tab === undefined || tab.gone) return; // a stand-in checks storage instead
    while (tab.pending.length > 0 && (tab.pending[0] as PendingCommit).commit <= commit) {
      const p = tab.pending.shift() as PendingCommit;
      if (!p.applied) for (const w of p.writes) this.#host.apply(w);
      p.settle();
    }
  }

  /**
   * Resolves once every unsettled write of another tab merged into `doc` so far is settled
   * (stored by its tab, or by this one in its stead); undefined if there is none.
   */
  barrier(doc: string): Promise<void> | undefined {
    const waits: Promise<void>[] = [];
    for (const tab of this.#tabs.values()) {
      for (const p of tab.pending) {
        if (p.applied && p.writes.some((w) => w.doc === doc)) waits.push(p.settled);
      }
    }
    return waits.length === 0 ? undefined : Promise.all(waits).then(() => {});
  }

  /** Stops watching: held writes are dropped, waiting writes of this tab go on. */
  close(): void {
    for (const tab of this.#tabs.values()) {
      tab.abort.abort();
      for (const p of tab.pending) p.settle();
    }
    this.#tabs.clear();
  }

  #watch(message: TabWrites): WatchedTab {
    const tab: WatchedTab = {
      abort: new AbortController(),
      alive: false,
      gone: false,
      pending: [],
    };
    this.#tabs.set(message.tab, tab);
    const locks = this.#locks;
    const { slot, tabLock } = message;
    if (locks === undefined || slot === undefined || tabLock === undefined) return tab;
    const signal = tab.abort.signal;
    locks.request(slot, { signal }, () => this.#standIn(message.tab, tab)).catch(() => {}); // aborted: this tab closed
    locks
      // No `signal` here: the Web Locks API refuses one beside `ifAvailable`.
      .request(tabLock, { ifAvailable: true }, (lock) => {
        // Granted: the writer is gone, and its slot may have a new holder already.
        if (lock === null && !signal.aborted) tab.alive = true;
      })
      .catch(() => {});
    return tab;
  }

  /**
   * The writer let its slot go, and this tab holds the slot's lock: no tab can mint as the slot
   * until this returns. What the writer did not store, and this tab showed, is stored here.
   */
  async #standIn(id: string, tab: WatchedTab): Promise<void> {
    tab.gone = true; // its pending commits stay listed, for barrier(), until stored here
    for (const p of tab.pending) {
      if (p.applied) {
        for (const w of p.writes) {
          try {
            if (!(await this.#host.isStored(w))) await this.#host.store(w);
          } catch {
            // Storage failed: the write stays in this tab's memory, as a failed own write does.
          }
        }
      }
      p.settle();
    }
    tab.pending.length = 0;
    if (this.#tabs.get(id) === tab) this.#tabs.delete(id);
  }
}
