// Authentication and authorization. The relay verifies each connection's token as a JWT (the
// user id is its `sub` claim) and asks `authorize(user, doc, access)` on every subscribe and
// push. Here a user may read and write only their own `notes:<user>` documents.
import { createClient } from '@helios/client';
import { createRelay, MemoryStore } from '@helios/server';
import { SignJWT } from 'jose';
import { pino } from 'pino';
import { exitIfHung, statusWhere } from './support/example-kit.mjs';

exitIfHung();

const SECRET = 'change-me-to-32-or-more-random-bytes!';
const relay = createRelay({
  region: 'us-east-1',
  store: new MemoryStore({ region: 'us-east-1' }),
  jwt: { secret: SECRET }, // HS256; `publicKey` + `algorithms` for RS256/ES256
  authorize: (user, doc, access) =>
    doc === `notes:${user.id}` || (access === 'read' && doc === 'news'),
  logger: pino({ level: 'silent' }),
});
const { url } = await relay.listen(0);

// Your backend issues tokens; the client sends one on every connection attempt.
const tokenFor = (user, secret = SECRET) =>
  new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(user)
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(secret));

const alice = createClient({
  relays: [url],
  persistence: 'memory',
  dbName: 'auth-alice',
  auth: { token: () => tokenFor('alice') }, // a function: called again on each reconnection
});
await alice.counter('notes:alice').increment().wait('relay');
console.log(`alice wrote notes:alice (${alice.status.connection})`);

// A write the relay refuses for good fails its receipt; it stays only in alice's replica.
try {
  await alice.counter('notes:bob').increment().wait('relay');
} catch (err) {
  console.log(`notes:bob refused: ${err.code} (${err.relayCode})`);
}

// A token signed with another key never gets a connection; the relay's refusal shows on the
// status (and the client backs off that relay instead of hammering it).
const mallory = createClient({
  relays: [url],
  persistence: 'memory',
  dbName: 'auth-mallory',
  auth: { token: await tokenFor('alice', 'not-the-relay-secret-at-all-0123456') },
});
const refused = await statusWhere(mallory, (s) => s.lastError !== null);
console.log(`forged token: connection ${refused.connection}, refused: ${refused.lastError.code}`);

await Promise.all([alice.close(), mallory.close()]);
await relay.close();
// expect: alice wrote notes:alice (online)
// expect: notes:bob refused: refused (forbidden)
// expect: forged token: connection connecting, refused: unauthenticated
