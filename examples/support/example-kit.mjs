// What every example needs besides its topic: a guard against hanging, a relay, and a way to
// wait for a value. Kept here so each example shows only its own topic.
import { createServer } from 'node:net';
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

/** A free loopback port (relays name their peers' URLs at creation, so ports come first). */
async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Relays for `regions` in this process, each a peer of the others, in memory and anonymous (as
 * {@link startDevRelay}). Resolves with `{ relays, urls }`, both keyed by region.
 */
export async function startDevRegions(regions) {
  const ports = new Map();
  for (const region of regions) ports.set(region, await freePort());
  const url = (region) => `http://127.0.0.1:${ports.get(region)}`;
  const relays = new Map();
  for (const region of regions) {
    const relay = createRelay({
      region,
      store: new MemoryStore({ region }),
      anonymous: true,
      logger: pino({ level: 'silent' }),
      peers: regions.filter((r) => r !== region).map((r) => ({ region: r, url: url(r) })),
    });
    await relay.listen(ports.get(region));
    relays.set(region, relay);
  }
  return { relays, urls: new Map(regions.map((r) => [r, url(r)])) };
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
