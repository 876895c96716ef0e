import 'fake-indexeddb/auto';
import { PNCounter } from '@helios/core';
import { createRelay, MemoryStore, type Relay } from '@helios/server';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient, type HeliosClient } from './index.js';
import { freshDb } from './test-support/fresh-db.js';
import { until } from './test-support/harness.js';

const open: { close(): unknown }[] = [];
afterEach(async () => {
  for (const c of open.splice(0).reverse()) await c.close();
});

async function relay(region = 'us-east-1', port = 0): Promise<{ relay: Relay; url: string }> {
  const r = createRelay({
    region,
    store: new MemoryStore({ region }),
    anonymous: true,
    logger: pino({ level: 'silent' }),
  });
  open.push(r);
  const { url } = await r.listen(port);
  return { relay: r, url };
}

function client(
  relays: string[],
  dbName = freshDb(),
  extra: Partial<Parameters<typeof createClient>[0]> = {},
): HeliosClient {
  const c = createClient({ relays, dbName, homeProbeMs: 100, ...extra });
  open.push(c);
  return c;
}

describe('client', () => {
  it('two clients converge through a relay; receipts go local → relay → global', async () => {
    const { url } = await relay();
    const a = client([url]);
    const b = client([url]);
    const likesA = a.counter('likes');
    const likesB = b.counter('likes');
    await Promise.all([likesA.loaded, likesB.loaded]);
    const receipt = likesA.increment(2);
    expect(likesA.value).toBe(2); // synchronous
    await receipt.wait('local');
    await receipt.wait('relay');
    await receipt.wait('global');
    expect(receipt.level).toBe('global');
    likesB.increment(3);
    await until(() => likesA.value === 5 && likesB.value === 5, 'both see 5');
    expect(a.status.storage.kind).toBe('indexeddb');
  });

  it('writes offline, keeps them across a restart, and syncs exactly once when back online', async () => {
    const { url } = await relay();
    const dbName = freshDb();
    const offline = client([url], dbName, { offline: true });
    const cart = offline.crdtMap('cart', PNCounter);
    await cart.loaded;
    cart.update('beans', (line, me) => PNCounter.increment(line, me, 2));
    cart.update('mug', (line, me) => PNCounter.increment(line, me, 1));
    await offline.flush('local');
    expect(offline.status.pendingTotal).toBe(2);
    await offline.close();

    // A new client on the same database: the writes and the outbox are still there.
    const again = client([url], dbName);
    const cart2 = again.crdtMap('cart', PNCounter);
    await cart2.loaded;
    expect(Object.fromEntries(cart2.value)).toEqual({ beans: 2, mug: 1 });
    await again.flush('relay');
    expect(again.status.pendingTotal).toBe(0);

    const reader = client([url]);
    const cart3 = reader.crdtMap('cart', PNCounter);
    await until(
      () => cart3.value.get('beans') === 2 && cart3.value.get('mug') === 1,
      'reader sees the cart',
    );
  });

  it('fails over to the next relay and returns home when it is back', async () => {
    const home = await relay('us-east-1');
    const away = await relay('eu-west-1');
    const c = client([home.url, away.url]);
    await until(() => c.status.connection === 'online' && c.status.region === 'us-east-1', 'home');
    const port = Number(new URL(home.url).port);
    await home.relay.close();
    await until(
      () => c.status.region === 'eu-west-1' && c.status.connection === 'online',
      'failed over',
    );
    const views = c.gCounter('views');
    await views.loaded;
    await views.increment().wait('relay');
    await relay('us-east-1', port);
    await until(
      () => c.status.region === 'us-east-1' && c.status.connection === 'online',
      'back home',
      15_000,
    );
  });
});
