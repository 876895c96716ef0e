// A server-side writer: a Node process (a cron job, a webhook handler, a stock importer) that
// writes documents with @helios/client like any other replica: memory persistence, no tabs.
// Here the example runs itself a second time as that process; a browser-like client reads.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createClient } from '@helios/client';
import { createRelay, MemoryStore } from '@helios/server';
import { pino } from 'pino';
import { exitIfHung, until } from './support/example-kit.mjs';

exitIfHung();

if (process.argv[2] === '--writer') {
  // ── the writer process ──────────────────────────────────────────────────────────────────
  const client = createClient({
    relays: [process.argv[3]],
    persistence: 'memory', // the writer keeps no local history: the relay is its memory
    dbName: 'inventory-importer',
    tabSync: false, // no other tabs to talk to
  });
  // LWW writes need not see the current state first: the newer timestamp wins anyway.
  const stock = client.lwwMap('inventory:warehouse-1');
  stock.set('sku-1', { available: 12, updatedBy: 'importer' });
  stock.set('sku-2', { available: 0, updatedBy: 'importer' });
  // Exit only once the relay has durably committed everything: nothing is left in memory.
  await client.flush('relay');
  await client.close();
  process.exit(0);
}

// ── the main process: a relay and a reading client ─────────────────────────────────────────
const relay = createRelay({
  region: 'eu-west-1',
  store: new MemoryStore({ region: 'eu-west-1' }),
  anonymous: true, // in production the writer would present a service token (example 10)
  logger: pino({ level: 'silent' }),
});
const { url } = await relay.listen(0);
const shop = createClient({ relays: [url], persistence: 'memory', dbName: 'inventory-shop' });
const stock = shop.lwwMap('inventory:warehouse-1');

const writer = spawn(process.execPath, [fileURLToPath(import.meta.url), '--writer', url], {
  stdio: 'inherit',
});
const code = await new Promise((resolve) => writer.once('exit', resolve));
console.log(`writer exited with ${code}`);

await until(stock, (inventory) => inventory.size === 2);
for (const [sku, line] of [...stock.value].sort()) console.log(`${sku}: ${JSON.stringify(line)}`);

await shop.close();
await relay.close();
// expect: writer exited with 0
// expect: sku-1: {"available":12,"updatedBy":"importer"}
// expect: sku-2: {"available":0,"updatedBy":"importer"}
