import 'fake-indexeddb/auto';
import { type ClientOptions, createClient, type HeliosClient } from '@helios/client';
import { createRelay, MemoryStore, type RelayOptions } from '@helios/server';
import { cleanup } from '@testing-library/react';
import { pino } from 'pino';
import { afterEach, vi } from 'vitest';

const open: { close(): unknown }[] = [];

afterEach(async () => {
  cleanup(); // unmount before the clients close
  vi.restoreAllMocks();
  for (const c of open.splice(0).reverse()) await c.close();
});

let dbCounter = 0;
/** A database name no other test uses. */
export const freshDb = (): string => `react-test-${process.pid}-${++dbCounter}`;

/** Starts a relay on a free port (closed after the test) and returns its URL. */
export async function startRelay(
  region = 'us-east-1',
  limits: RelayOptions['limits'] = {},
): Promise<string> {
  const relay = createRelay({
    region,
    store: new MemoryStore({ region }),
    anonymous: true,
    logger: pino({ level: 'silent' }),
    limits,
  });
  open.push(relay);
  return (await relay.listen(0)).url;
}

/** A relay URL that is never dialled: the client needs one even when it stays offline. */
export const NO_RELAY = 'http://127.0.0.1:9';

/** A client on a fresh IndexedDB database (closed after the test); offline unless given relays. */
export function testClient(
  relays: string[] = [],
  extra: Partial<ClientOptions> = {},
): HeliosClient {
  const client = createClient({
    relays: relays.length > 0 ? relays : [NO_RELAY],
    dbName: freshDb(),
    homeProbeMs: 100,
    ...(relays.length === 0 ? { offline: true } : {}),
    ...extra,
  });
  open.push(client);
  return client;
}

/** Polls until `check` holds. */
export async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Counts the listeners a handle has through a spy on `subscribe`. */
export function countListeners(handle: { subscribe(listener: () => void): () => void }): {
  readonly active: number;
  readonly subscribed: number;
} {
  const original = handle.subscribe.bind(handle);
  let subscribed = 0;
  let unsubscribed = 0;
  vi.spyOn(handle, 'subscribe').mockImplementation((listener) => {
    subscribed++;
    const off = original(listener);
    return () => {
      unsubscribed++;
      off();
    };
  });
  return {
    get active() {
      return subscribed - unsubscribed;
    },
    get subscribed() {
      return subscribed;
    },
  };
}
