// Multi-region failover. A client lists relays in order of preference: its home region first.
// When home goes down the client moves to the next relay and keeps syncing; while away it probes
// home's /healthz and goes back as soon as home answers. Relays of both regions peer, so writes
// made through either region reach everybody.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@helios/client';
import { createRelay, SqliteStore } from '@helios/server';
import { pino } from 'pino';
import { exitIfHung, until } from './support/example-kit.mjs';

exitIfHung(18_000);

const dir = mkdtempSync(join(tmpdir(), 'helios-failover-'));
const ports = { 'eu-west-1': await freePort(), 'eu-central-1': await freePort() };
/** Starts (or restarts) a region's relay on its port, with its SQLite file in `dir`. */
async function start(region) {
  const relay = createRelay({
    region,
    store: await SqliteStore.open({ path: join(dir, `${region}.sqlite`), region }),
    anonymous: true,
    logger: pino({ level: 'silent' }),
    peers: Object.keys(ports)
      .filter((other) => other !== region)
      .map((other) => ({ region: other, url: `http://127.0.0.1:${ports[other]}` })),
    peerToken: 'failover-demo-secret',
  });
  await relay.listen(ports[region]);
  return relay;
}
const url = (region) => `http://127.0.0.1:${ports[region]}`;
let home = await start('eu-west-1');
const backup = await start('eu-central-1');

// Home first, then the failover order. `homeProbeMs` is how often to check whether home is back.
const shopper = createClient({
  relays: [url('eu-west-1'), url('eu-central-1')],
  persistence: 'memory',
  dbName: 'failover-shopper',
  homeProbeMs: 200,
});
// A friend whose home is the backup region.
const friend = createClient({ relays: [url('eu-central-1')], persistence: 'memory', dbName: 'fr' });
const mine = shopper.counter('votes');
const theirs = friend.counter('votes');
const friendSees = (n) => until(theirs, (value) => value === n);

await mine.increment().wait('relay');
console.log(`on ${shopper.status.region}, friend sees ${await friendSees(1)}`);

await home.close(); // the home region goes down (a crash also drops the connection)
await mine.increment().wait('relay'); // waits in the outbox, then goes to the next relay
console.log(`failed over to ${shopper.status.region}, friend sees ${await friendSees(2)}`);

home = await start('eu-west-1'); // home is back, with its data (SQLite)
await statusUntil(shopper, (s) => s.connection === 'online' && s.region === 'eu-west-1');
await mine.increment().wait('relay');
console.log(`back home in ${shopper.status.region}, friend sees ${await friendSees(3)}`);

await Promise.all([shopper.close(), friend.close()]);
await Promise.all([home.close(), backup.close()]);
rmSync(dir, { recursive: true, force: true });

/** A port that is free right now (the OS picks it). */
function freePort() {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}
/** Resolves once the client's status satisfies `ok`. */
function statusUntil(client, ok) {
  return new Promise((resolve) => {
    const sub = client.status$.subscribe((status) => {
      if (!ok(status)) return;
      queueMicrotask(() => sub.unsubscribe()); // the first call comes before `sub` is assigned
      resolve(status);
    });
  });
}
// expect: on eu-west-1, friend sees 1
// expect: failed over to eu-central-1, friend sees 2
// expect: back home in eu-west-1, friend sees 3
