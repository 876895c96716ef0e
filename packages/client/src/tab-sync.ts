import { newReplicaId } from '@helios/core';
import { type OtherTabsHost, OtherTabWrites } from './other-tab-writes.js';
import type { QueuedWrite } from './queued-write.js';
import { slotLockName } from './replica-slot.js';
import { TabChannel, type TabWrite } from './tab-channel.js';
import { tryWebLock, webLocks } from './web-locks.js';

/** A commit of this tab as the other tabs heard of it. */
export interface TabCommit {
  readonly commit: number;
  /** Its own writes, as the other tabs get them. */
  readonly writes: readonly TabWrite[];
  /** Its writes were posted as it started: the other tabs wait for it to settle. */
  readonly early: boolean;
}

/**
 * Sharing writes between the tabs of one browser profile: this tab's own, over the
 * {@link TabChannel}, and the other tabs' ({@link OtherTabWrites}).
 *
 * Where the browser has Web Locks, a commit's writes are posted as its transaction starts, so
 * the other tabs show them while it runs (the post overlaps the commit), then its end is posted.
 * That needs the tab's slot lock and its own tab lock held; until then, and without Web Locks,
 * writes are posted once stored.
 */
export class TabSync {
  readonly #channel: TabChannel;
  readonly #others: OtherTabWrites;
  readonly #dbName: string;
  /** This tab's id on the channel (random, like a replica id) and the lock it holds for life. */
  readonly #tab = newReplicaId();
  readonly #tabLockName: string;
  #tabLock: (() => void) | undefined;
  #slotLock: string | undefined;
  #commits = 0;
  #closed = false;

  constructor(dbName: string, host: OtherTabsHost) {
    this.#dbName = dbName;
    const locks = webLocks();
    this.#others = new OtherTabWrites(locks, host);
    this.#channel = new TabChannel(dbName, (message) => {
      if (message.tab === this.#tab) return;
      if (message.kind === 'writes') this.#others.received(message);
      else this.#others.settled(message);
    });
    this.#tabLockName = `helios:${dbName}:tab:${this.#tab}`;
    if (locks !== undefined) {
      tryWebLock(locks, this.#tabLockName)
        .then((release) => {
          if (this.#closed) release?.();
          else this.#tabLock = release;
        })
        .catch(() => {}); // no tab lock: writes are posted once stored
    }
  }

  /** A sync if `enabled` (default: where BroadcastChannel exists), else undefined. */
  static open(dbName: string, enabled: boolean | undefined, host: OtherTabsHost) {
    const on = enabled ?? typeof BroadcastChannel !== 'undefined';
    return on ? new TabSync(dbName, host) : undefined;
  }

  /** This tab holds replica slot `index` of the profile (see `acquireReplicaSlot`). */
  holdsSlot(index: number): void {
    this.#slotLock = slotLockName(this.#dbName, index);
  }

  /**
   * A commit whose transaction was just started: its own writes are posted now if the other
   * tabs can watch this one, else once {@link settle} says they are stored.
   */
  starting(batch: readonly QueuedWrite[]): TabCommit {
    const commit = ++this.#commits;
    const writes: TabWrite[] = [];
    for (const w of batch) {
      if (w.receipt !== undefined) writes.push({ doc: w.doc, delta: w.delta, dot: w.receipt.dot });
    }
    const slot = this.#slotLock;
    const early = writes.length > 0 && this.#tabLock !== undefined && slot !== undefined;
    if (early) {
      const tabLock = this.#tabLockName;
      this.#channel.post({
        kind: 'writes',
        tab: this.#tab,
        commit,
        writes,
        stored: false,
        slot,
        tabLock,
      });
    }
    return { commit, writes, early };
  }

  /** The commit is over: its writes were `stored`, or failed for good. */
  settle({ commit, writes, early }: TabCommit, stored: boolean): void {
    if (early) this.#channel.post({ kind: 'settled', tab: this.#tab, commit });
    else if (stored && writes.length > 0) {
      this.#channel.post({ kind: 'writes', tab: this.#tab, commit, writes, stored: true });
    }
  }

  /** See {@link OtherTabWrites.barrier}. */
  barrier(doc: string): Promise<void> | undefined {
    return this.#others.barrier(doc);
  }

  close(): void {
    this.#closed = true;
    this.#others.close();
    this.#channel.close();
    this.#tabLock?.();
  }
}
