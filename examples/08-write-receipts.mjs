// Awaiting a write's durability. Every mutator returns a Receipt whose level climbs
// pending → local (stored on this device) → relay (committed by the region's relay)
// → global (durable in every region). Two peered relays stand in for two regions.
import { createServer } from 'node:net';
import { createClient } from '@helios/client';
import { createRelay, MemoryStore } from '@helios/server';
import { pino } from 'pino';
import { exitIfHung, until } from './support/example-kit.mjs';

exitIfHung();

// Peers are part of a relay's options, so pick both ports before creating the relays.
const ports = { 'us-east-1': await freePort(), 'eu-west-1': await freePort() };
const relays = Object.keys(ports).map((region) =>
  createRelay({
    region,
    store: new MemoryStore({ region }),
    anonymous: true,
    logger: pino({ level: 'silent' }),
    // Every other region, by URL and region name; the shared secret admits relays as peers.
    peers: Object.keys(ports)
      .filter((other) => other !== region)
      .map((other) => ({ region: other, url: `http://127.0.0.1:${ports[other]}` })),
    peerToken: 'a-long-random-secret-shared-by-the-relays',
  }),
);
const [us, eu] = await Promise.all(relays.map((r) => r.listen(ports[r.region])));

const writer = createClient({ relays: [us.url], persistence: 'memory', dbName: 'rcpt-us' });
const reader = createClient({ relays: [eu.url], persistence: 'memory', dbName: 'rcpt-eu' });
const stock = writer.counter('stock:sku-1');
await stock.loaded;

const receipt = stock.increment(10);
console.log(`right after the call: ${receipt.level}, value ${stock.value}`);
receipt.subscribe((level) => console.log(`receipt reached ${level}`));
await receipt.wait('global'); // or 'local' / 'relay'
// The receipt names the write: the document and the dot (replica, seq) the write minted.
const mine = receipt.dot.replica === writer.replica;
console.log(`${receipt.doc}: dot ${receipt.dot.seq} of ${mine ? 'this client' : 'someone else'}`);

// The other region already has it: 'global' means every region committed it.
const inEu = reader.counter('stock:sku-1');
console.log(`reader in eu-west-1 sees ${await until(inEu, (n) => n === 10)}`);

await Promise.all([writer.close(), reader.close()]);
await Promise.all(relays.map((r) => r.close()));

/** A port that is free right now (the OS picks it). */
function freePort() {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}
// expect: right after the call: pending, value 10
// expect: receipt reached local
// expect: receipt reached relay
// expect: receipt reached global
// expect: stock:sku-1: dot 1 of this client
// expect: reader in eu-west-1 sees 10
