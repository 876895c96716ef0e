import type { LockManagerLike } from '../web-locks.js';

interface Held {
  release(): void;
}

/**
 * The Web Locks API of one process, for tests where tabs are clients of one process: a freed
 * lock goes to the first queued request, `ifAvailable` requests get `null` instead of queueing,
 * a `signal` aborts a queued request (and is refused beside `ifAvailable`). {@link crash} frees a lock as a dying tab's would,
 * whatever its holder's callback still does.
 */
export class FakeWebLocks implements LockManagerLike {
  readonly #held = new Map<string, Held>();
  readonly #queues = new Map<string, (() => void)[]>();

  request(
    name: string,
    options: { ifAvailable?: boolean; signal?: AbortSignal },
    callback: (lock: unknown) => Promise<unknown> | unknown,
  ): Promise<unknown> {
    if (options.ifAvailable && options.signal !== undefined) {
      // As browsers do (Web Locks API, "request a lock").
      return Promise.reject(new DOMException('signal with ifAvailable', 'NotSupportedError'));
    }
    return new Promise((resolve, reject) => {
      const grant = () => {
        let released = false;
        const release = () => {
          if (released) return;
          released = true;
          this.#held.delete(name);
          this.#queues.get(name)?.shift()?.();
        };
        this.#held.set(name, { release });
        Promise.resolve()
          .then(() => callback({ name }))
          .then(
            (value) => {
              release();
              resolve(value);
            },
            (err: unknown) => {
              release();
              reject(err);
            },
          );
      };
      const queue = this.#queues.get(name) ?? [];
      this.#queues.set(name, queue);
      if (!this.#held.has(name) && queue.length === 0) grant();
      else if (options.ifAvailable) {
        Promise.resolve()
          .then(() => callback(null))
          .then(resolve, reject);
      } else {
        queue.push(grant);
        options.signal?.addEventListener('abort', () => {
          const at = queue.indexOf(grant);
          if (at >= 0) queue.splice(at, 1);
          reject(new DOMException('the request was aborted', 'AbortError'));
        });
      }
    });
  }

  /** The names of the locks held now. */
  held(): string[] {
    return [...this.#held.keys()];
  }

  /** Frees lock `name` as the death of its holder would. */
  crash(name: string): void {
    this.#held.get(name)?.release();
  }
}
