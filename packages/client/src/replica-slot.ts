import type { ReplicaId } from '@helios/core';
import { type Clock, delay } from './clock.js';
import type { ClientPersistence } from './persistence/persistence.js';

/** A held replica slot: its id, and how to let it go. */
export interface ReplicaSlot {
  readonly index: number;
  readonly replica: ReplicaId;
  release(): void;
}

/** The part of the Web Locks API we use (absent in Node). */
interface LockManagerLike {
  request(
    name: string,
    options: { ifAvailable: boolean },
    callback: (lock: unknown) => Promise<unknown>,
  ): Promise<unknown>;
}

/** Locks of this process, where the Web Locks API is missing (Node): one per name. */
const processLocks = new Set<string>();

async function tryLock(name: string): Promise<(() => void) | undefined> {
  const locks = (globalThis.navigator as { locks?: LockManagerLike } | undefined)?.locks;
  if (locks === undefined) {
    if (processLocks.has(name)) return undefined;
    processLocks.add(name);
    return () => processLocks.delete(name);
  }
  return new Promise((resolve) => {
    void locks.request(name, { ifAvailable: true }, (lock) => {
      if (lock === null) {
        resolve(undefined);
        return Promise.resolve();
      }
      // Hold the lock until released: the browser frees it if the tab closes or crashes.
      return new Promise<void>((release) => resolve(() => release()));
    });
  });
}

/**
 * Takes the first free replica slot of this browser profile. Slots keep replica ids few (one
 * per tab that was ever open at the same time as others, not one per page load), and the lock
 * guarantees that no two live tabs mint dots with the same id. A slot's sequence numbers live in
 * the documents' persisted contexts, so the next holder continues where the last one stopped.
 *
 * `persistence` may still be opening: the lock does not need it, so a start-up claims the lock
 * while the database opens rather than after. `onLocked` is told, with the opened storage, as
 * soon as the slot's lock is held and storage is open, before the slot's id is read: documents
 * must be read from then on, not before. The last holder created its transactions while it held
 * the lock, and IndexedDB runs a transaction over the same stores created later after them, so
 * such a read sees every commit of the last holder; a read begun earlier can miss its final
 * ones, whose dots this tab would then mint again.
 */
export async function acquireReplicaSlot(
  dbName: string,
  persistence: ClientPersistence | Promise<ClientPersistence>,
  createId: () => ReplicaId,
  maxSlots: number,
  clock: Clock,
  onLocked: (persistence: ClientPersistence) => void = () => {},
): Promise<ReplicaSlot> {
  for (let round = 0; ; round++) {
    for (let index = 0; index < maxSlots; index++) {
      const release = await tryLock(`helios:${dbName}:slot:${index}`);
      if (release === undefined) continue;
      try {
        const opened = await persistence;
        onLocked(opened);
        const replica = await opened.slot(index, createId);
        return { index, replica, release };
      } catch (err) {
        release();
        throw err;
      }
    }
    // Every slot is held by a live tab: wait for one to close.
    await delay(clock, Math.min(1000, 50 * 2 ** round));
  }
}
