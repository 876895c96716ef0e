import type { ReplicaId } from '@helios/core';
import { type Clock, delay } from './clock.js';
import type { ClientPersistence } from './persistence/persistence.js';
import { tryWebLock, webLocks } from './web-locks.js';

/** A held replica slot: its id, and how to let it go. */
export interface ReplicaSlot {
  readonly index: number;
  readonly replica: ReplicaId;
  release(): void;
}

/** Locks of this process, where the Web Locks API is missing (Node): one per name. */
const processLocks = new Set<string>();

async function tryLock(name: string): Promise<(() => void) | undefined> {
  const locks = webLocks();
  if (locks === undefined) {
    if (processLocks.has(name)) return undefined;
    processLocks.add(name);
    return () => processLocks.delete(name);
  }
  return tryWebLock(locks, name);
}

/** The name of the Web Lock a tab holds while it writes as slot `index` of database `dbName`. */
export function slotLockName(dbName: string, index: number): string {
  return `helios:${dbName}:slot:${index}`;
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
      const release = await tryLock(slotLockName(dbName, index));
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
