// Offline writes survive a reload. In the browser, documents and the outbox of unsent writes
// live in IndexedDB (here `fake-indexeddb` provides it to Node). A tab that wrote offline and
// was closed pushes its writes the next time it opens; the relay stores them in SQLite.
import 'fake-indexeddb/auto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@helios/client';
import { PNCounter } from '@helios/core';
import { createRelay, SqliteStore } from '@helios/server';
import { pino } from 'pino';
import { exitIfHung, until } from './support/example-kit.mjs';

exitIfHung();

const dir = mkdtempSync(join(tmpdir(), 'helios-reload-'));
const region = 'us-east-1';
const openRelay = async (port = 0) => {
  const relay = createRelay({
    region,
    store: await SqliteStore.open({ path: join(dir, 'relay.sqlite'), region }),
    anonymous: true,
    logger: pino({ level: 'silent' }),
  });
  return { relay, ...(await relay.listen(port)) };
};
let { relay, url, port } = await openRelay();
const add = (cart, item, n) => cart.update(item, (line, me) => PNCounter.increment(line, me, n));

// First visit, offline: the writes apply and are durable in IndexedDB ('local'), unsent.
const tab = createClient({ relays: [url], dbName: 'shop', offline: true });
const cart = tab.crdtMap('cart', PNCounter);
await add(cart, 'tea', 2).wait('local');
await add(cart, 'honey', 1).wait('local');
console.log(
  `storage ${tab.status.storage.kind}, ${tab.status.connection}, pending ${tab.status.pendingTotal}`,
);
await tab.close(); // the tab is closed before it ever went online

// The user comes back: same database, so the cart and the outbox are still there.
const again = createClient({ relays: [url], dbName: 'shop' });
const cartAgain = again.crdtMap('cart', PNCounter);
await cartAgain.loaded;
console.log(`reloaded cart: ${JSON.stringify(Object.fromEntries([...cartAgain.value].sort()))}`);
await again.flush('relay'); // the outbox is pushed on connection and acknowledged
console.log(`after sync: pending ${again.status.pendingTotal}`);
await again.close();

// The relay's copy is durable too: restart it and read from a brand-new device.
await relay.close();
({ relay } = await openRelay(port));
const device = createClient({ relays: [url], persistence: 'memory', dbName: 'new-device' });
const fresh = device.crdtMap('cart', PNCounter);
await until(fresh, (items) => items.size === 2);
console.log(
  `new device after relay restart: ${JSON.stringify(Object.fromEntries([...fresh.value].sort()))}`,
);

await device.close();
await relay.close();
rmSync(dir, { recursive: true, force: true });
// expect: storage indexeddb, offline, pending 2
// expect: reloaded cart: {"honey":1,"tea":2}
// expect: after sync: pending 0
// expect: new device after relay restart: {"honey":1,"tea":2}
