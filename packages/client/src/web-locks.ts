/**
 * The part of the Web Locks API the client uses: absent in Node, where `webLocks()` is
 * undefined. A browser frees every lock a tab holds when the tab closes or crashes, and grants a
 * freed lock to the first request queued for it before any later one: that is what lets a tab
 * stand in for another that died (see `OtherTabWrites`).
 */
export interface LockManagerLike {
  request(
    name: string,
    options: { ifAvailable?: boolean; signal?: AbortSignal },
    callback: (lock: unknown) => Promise<unknown> | unknown,
  ): Promise<unknown>;
}

/** The browser's lock manager, or undefined where there is none (Node, old browsers). */
export function webLocks(): LockManagerLike | undefined {
  return (globalThis.navigator as { locks?: LockManagerLike } | undefined)?.locks;
}

/**
 * Takes lock `name` if it is free, without queueing: resolves with its release, or undefined
 * if another holder has it. The lock is held until released, or until the tab goes away.
 */
export function tryWebLock(
  locks: LockManagerLike,
  name: string,
): Promise<(() => void) | undefined> {
  return new Promise((resolve, reject) => {
    locks
      .request(name, { ifAvailable: true }, (lock) => {
        if (lock === null) {
          resolve(undefined);
          return undefined;
        }
        return new Promise<void>((release) => resolve(() => release()));
      })
      .catch(reject);
  });
}
