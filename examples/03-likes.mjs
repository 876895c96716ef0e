// Likes on a post: a PN-Counter goes up and down. Each replica keeps its own totals of
// increments (p) and decrements (n); the value is Σp − Σn, so concurrent likes and unlikes from
// different devices all count, in any order.
import { createClient } from '@helios/client';
import { exitIfHung, startDevRelay, until } from './support/example-kit.mjs';

exitIfHung();

// A relay for one region, in this process (see support/example-kit.mjs).
const { relay, url } = await startDevRelay('us-east-1');

const alice = createClient({ relays: [url], persistence: 'memory', dbName: 'likes-alice' });
const bob = createClient({ relays: [url], persistence: 'memory', dbName: 'likes-bob' });
const aliceLikes = alice.counter('likes:post-42');
const bobLikes = bob.counter('likes:post-42');
await Promise.all([aliceLikes.loaded, bobLikes.loaded]);

aliceLikes.increment(); // alice likes the post
bobLikes.increment(); // so does bob…
await bob.flush('relay'); // (every write so far is acknowledged by the relay)
bobLikes.decrement(); // …then changes his mind

// Both converge on the same count, whatever order the relay delivered the deltas in.
console.log(`alice sees ${await until(aliceLikes, (n) => n === 1)} like`);
console.log(`bob sees ${await until(bobLikes, (n) => n === 1)} like`);

// Offline, writes keep working; they wait in the outbox and sync on reconnection.
bob.setOnline(false);
bobLikes.increment();
aliceLikes.increment();
console.log(`offline: alice ${aliceLikes.value}, bob ${bobLikes.value}`);
bob.setOnline(true);
console.log(
  `online again: alice ${await until(aliceLikes, (n) => n === 3)}, bob ${await until(bobLikes, (n) => n === 3)}`,
);

await Promise.all([alice.close(), bob.close()]);
await relay.close();
// expect: alice sees 1 like
// expect: bob sees 1 like
// expect: offline: alice 2, bob 2
// expect: online again: alice 3, bob 3
