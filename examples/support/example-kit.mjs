// What every example needs besides its topic: a guard against hanging, a relay, and a way to
// wait for a value. Kept here so each example shows only its own topic.
import { createRelay, MemoryStore } from '@helios/server';
import { pino } from 'pino';

/** Exits non-zero after `ms` if the example is still running (something was left open). */
export function exitIfHung(ms = 15_000) {
  setTimeout(() => {
    console.error('timed out');
    process.exit(1);
  }, ms).unref();
}

/**
 * A relay for `region` in this process, on a free loopback port, in memory. `anonymous: true`
 * skips authentication: fine for an example, never in production (see docs/security.md).
 */
export async function startDevRelay(region) {
  const relay = createRelay({
    region,
    store: new MemoryStore({ region }),
    anonymous: true,
    logger: pino({ level: 'silent' }),
  });
  const { url } = await relay.listen(0);
  return { relay, url };
}

/** Resolves with the handle's value once `ok(value)` holds. */
export function until(handle, ok) {
  return new Promise((resolve) => {
    const check = () => {
      if (!ok(handle.value)) return;
      stop();
      resolve(handle.value);
    };
    const stop = handle.subscribe(check);
    check();
  });
}

/** Resolves with the client's status once `ok(status)` holds (`status$` is an rxjs Observable). */
export function statusWhere(client, ok) {
  return new Promise((resolve) => {
    const subscription = client.status$.subscribe((status) => {
      if (!ok(status)) return;
      resolve(status);
      // status$ replays the current status during subscribe(), before `subscription` is set.
      queueMicrotask(() => subscription.unsubscribe());
    });
  });
}
