// A page-view counter. A G-Counter only grows: each replica counts its own increments and the
// value is their sum, so views from every visitor add up and no view is ever lost.
import { createClient } from '@helios/client';
import { GCounter } from '@helios/core';
import { exitIfHung, startDevRelay, until } from './support/example-kit.mjs';

exitIfHung();

// A relay for one region, in this process (see support/example-kit.mjs).
const { relay, url } = await startDevRelay('eu-west-1');

// Two visitors. Node has no IndexedDB, so their documents live in memory.
const alice = createClient({ relays: [url], persistence: 'memory', dbName: 'views-alice' });
const bob = createClient({ relays: [url], persistence: 'memory', dbName: 'views-bob' });
// open(id, Type) gives the handle for the type: a GCounterHandle here (alice.gCounter(id) is
// the same call).
const aliceViews = alice.open('views:/pricing', GCounter);
const bobViews = bob.open('views:/pricing', GCounter);
await Promise.all([aliceViews.loaded, bobViews.loaded]);

// A write applies at once: the value is up to date before anything reached the relay.
aliceViews.increment();
console.log(`alice sees ${aliceViews.value}`);
bobViews.increment();
bobViews.increment(2);

// Every write travels to the relay, which merges it, stores it and sends it to the others.
console.log(`alice sees ${await until(aliceViews, (n) => n === 4)}`);
console.log(`bob sees ${await until(bobViews, (n) => n === 4)}`);

await Promise.all([alice.close(), bob.close()]);
await relay.close();
// expect: alice sees 1
// expect: alice sees 4
// expect: bob sees 4
