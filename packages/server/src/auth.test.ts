import { AWSet, GCounter, newReplicaId } from '@helios/core';
import { type Message, PROTOCOL_VERSION } from '@helios/core/protocol';
import { SignJWT } from 'jose';
import { pino } from 'pino';
import { io } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import type { RelayUser } from './auth.js';
import { RelayError } from './errors.js';
import { createRelay, type Relay } from './relay.js';
import { MemoryStore } from './store/memory-store.js';
import { eventually, ProtocolClient } from './test-support/protocol-client.js';

const SECRET = 'test-secret-that-is-long-enough-for-hs256';
const open: { close(): unknown }[] = [];
afterEach(async () => {
  for (const c of open.splice(0).reverse()) await c.close();
});

async function startRelay(
  options: Partial<Parameters<typeof createRelay>[0]>,
): Promise<{ relay: Relay; url: string }> {
  const relay = createRelay({
    region: 'us-east-1',
    store: new MemoryStore({ region: 'us-east-1' }),
    logger: pino({ level: 'silent' }),
    ...options,
  });
  open.push(relay);
  const { url } = await relay.listen(0);
  return { relay, url };
}

/** An HS256 token; `sub` undefined leaves the claim out, `expiresAt` is in epoch seconds. */
function token(
  sub: string | undefined,
  { secret = SECRET, expiresAt }: { secret?: string; expiresAt?: number } = {},
): Promise<string> {
  const jwt = new SignJWT({ role: 'member' }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt();
  if (sub !== undefined) jwt.setSubject(sub);
  jwt.setExpirationTime(expiresAt ?? Math.floor(Date.now() / 1000) + 3600);
  return jwt.sign(new TextEncoder().encode(secret));
}

async function client(
  url: string,
  options: ConstructorParameters<typeof ProtocolClient>[1] = {},
): Promise<ProtocolClient> {
  const c = new ProtocolClient(url, options);
  open.push(c);
  await c.ready();
  return c;
}

type Handshake = { connected: true } | { connected: false; code: unknown; message: string };

/** Opens a raw Socket.IO connection with `auth` and reports whether the relay admitted it. */
async function handshake(url: string, auth: Record<string, unknown>): Promise<Handshake> {
  const socket = io(url, { auth, transports: ['websocket'], reconnection: false, forceNew: true });
  open.push(socket);
  return new Promise<Handshake>((resolve) => {
    socket.once('connect', () => resolve({ connected: true }));
    socket.once('connect_error', (err: Error & { data?: { code?: unknown } }) =>
      resolve({ connected: false, code: err.data?.code, message: err.message }),
    );
  });
}

function clientAuth(tokenValue: string | undefined, replicas: string[] = [newReplicaId()]) {
  return {
    protocol: PROTOCOL_VERSION,
    replicas,
    ...(tokenValue !== undefined ? { token: tokenValue } : {}),
  };
}

describe('JWT authentication', () => {
  it('admits a valid HS256 token and refuses missing, expired, badly signed and subject-less ones', async () => {
    const { relay, url } = await startRelay({ jwt: { secret: SECRET }, openAccess: true });
    const alice = await client(url, { token: await token('alice') });
    expect(alice.welcome?.region).toBe('us-east-1');
    // The admitted connection works: it can subscribe and write.
    await alice.subscribe('notes', GCounter);
    await alice.write('notes', (s, me) => GCounter.increment(s, me, 2));

    const refusals = {
      missing: await handshake(url, clientAuth(undefined)),
      garbage: await handshake(url, clientAuth('not-a-jwt')),
      expired: await handshake(
        url,
        clientAuth(await token('alice', { expiresAt: Math.floor(Date.now() / 1000) - 60 })),
      ),
      badlySigned: await handshake(
        url,
        clientAuth(await token('alice', { secret: 'another-secret-of-sufficient-length' })),
      ),
      noSubject: await handshake(url, clientAuth(await token(undefined))),
    };
    for (const [name, result] of Object.entries(refusals)) {
      expect(result, name).toMatchObject({ connected: false, code: 'unauthenticated' });
    }
    expect(refusals.expired).toMatchObject({ message: expect.stringMatching(/exp/) });
    expect(refusals.noSubject).toMatchObject({ message: expect.stringMatching(/sub/) });
    // A refusal happens before any message: no client connection was counted for them.
    const metrics = await relay.metrics.registry.metrics();
    expect(metrics).toMatch(/helios_connections\{region="us-east-1"\} 1\b/);
    expect(metrics).toMatch(
      /helios_refused_total\{code="unauthenticated",region="us-east-1"\} 5\b/,
    );
  });

  it('binds a replica id to the first user that claims it', async () => {
    const { url } = await startRelay({ jwt: { secret: SECRET }, openAccess: true });
    const replica = newReplicaId();
    const alice = await client(url, { replica, token: await token('alice') });
    await alice.subscribe('tags', AWSet);
    await alice.write('tags', (s, me) => AWSet.add(s, me, 'mine'));

    const bob = await handshake(url, clientAuth(await token('bob'), [replica]));
    expect(bob).toMatchObject({ connected: false, code: 'replica-owned' });
    // Also when hidden among bob's own replicas.
    const mixed = await handshake(url, clientAuth(await token('bob'), [newReplicaId(), replica]));
    expect(mixed).toMatchObject({ connected: false, code: 'replica-owned' });
    // Its owner may come back with it (a reconnect, another tab).
    const again = await handshake(url, clientAuth(await token('alice'), [replica]));
    expect(again).toEqual({ connected: true });
  });

  it('an authenticated connection may only mint dots of its own replicas', async () => {
    const { url } = await startRelay({ jwt: { secret: SECRET }, openAccess: true });
    const alice = await client(url, { token: await token('alice') });
    const bob = await client(url, { token: await token('bob') });
    await alice.subscribe('tags', AWSet);
    await bob.subscribe('tags', AWSet);
    await bob.write('tags', (s, me) => AWSet.add(s, me, 'from-bob'));
    await eventually(() => (alice.value('tags') as Set<string>).has('from-bob'), 'alice sees bob');

    // Alice writes as bob's replica: the next dot of bob, which the relay has never seen.
    const aliceState = alice.docs.get('tags')!.state;
    const forged = AWSet.encode(AWSet.add(aliceState, { replica: bob.replica }, 'forged'));
    await expect(alice.pushBytes('tags', forged)).rejects.toMatchObject({
      code: 'foreign-dot',
      doc: 'tags',
    });
    // And as a replica nobody bound.
    const stray = AWSet.encode(AWSet.add(AWSet.empty(), { replica: newReplicaId() }, 'stray'));
    await expect(alice.pushBytes('tags', stray)).rejects.toMatchObject({ code: 'foreign-dot' });
    // Her own writes still go through, and the relay's state holds no forged element.
    await alice.write('tags', (s, me) => AWSet.add(s, me, 'from-alice'));
    const reader = await client(url, { token: await token('carol') });
    await reader.subscribe('tags', AWSet);
    expect([...(reader.value('tags') as Set<string>)].sort()).toEqual(['from-alice', 'from-bob']);
  });
});

describe('choosing authentication', () => {
  it('a relay without any authentication option refuses to be created', () => {
    const store = new MemoryStore({ region: 'us-east-1' });
    expect(() =>
      createRelay({ region: 'us-east-1', store, logger: pino({ level: 'silent' }) }),
    ).toThrow(/needs authentication: pass `authenticate`, `jwt`, or `anonymous: true`/);
    expect(() =>
      createRelay({ region: 'us-east-1', store, jwt: {}, logger: pino({ level: 'silent' }) }),
    ).toThrow(/secret or a public key/);
  });

  it('an authenticated relay without authorize refuses to start unless openAccess says so', () => {
    const base = {
      region: 'us-east-1',
      store: new MemoryStore({ region: 'us-east-1' }),
      logger: pino({ level: 'silent' }),
    };
    const refusal =
      /needs an `authorize` hook, or else every authenticated user could read and write every document: pass `authorize\(user, doc, access\)`, or `openAccess: true`/;
    expect(() => createRelay({ ...base, jwt: { secret: SECRET } })).toThrow(refusal);
    expect(() => createRelay({ ...base, authenticate: () => ({ id: 'x' }) })).toThrow(refusal);
    expect(() => createRelay({ ...base, jwt: { secret: SECRET }, openAccess: false })).toThrow(
      refusal,
    );
    // Both at once is a contradiction, not a preference.
    expect(() =>
      createRelay({ ...base, jwt: { secret: SECRET }, authorize: () => true, openAccess: true }),
    ).toThrow(/`authorize` or `openAccess: true`, not both/);
    // Anonymous mode is open by definition: no opt-in needed.
    expect(() => createRelay({ ...base, anonymous: true })).not.toThrow();
  });

  it('anonymous mode logs a warning; JWT mode with authorize does not; open access warns', async () => {
    const capture = (lines: { level: number; msg: string }[]) =>
      pino(
        { level: 'info' },
        { write: (line: string) => void lines.push(JSON.parse(line) as (typeof lines)[number]) },
      );
    const anonymousLines: { level: number; msg: string }[] = [];
    await startRelay({ anonymous: true, logger: capture(anonymousLines) });
    const warnings = anonymousLines.filter((l) => l.level === 40);
    expect(warnings.map((l) => l.msg)).toEqual([
      expect.stringMatching(/ANONYMOUS MODE.*not authenticated.*Development only/),
    ]);

    const jwtLines: { level: number; msg: string }[] = [];
    await startRelay({
      jwt: { secret: SECRET },
      authorize: () => true,
      logger: capture(jwtLines),
    });
    expect(jwtLines.some((l) => l.level >= 40)).toBe(false);

    const openLines: { level: number; msg: string }[] = [];
    await startRelay({ jwt: { secret: SECRET }, openAccess: true, logger: capture(openLines) });
    // The same capture does see a warning when there is one.
    expect(openLines.filter((l) => l.level === 40).map((l) => l.msg)).toEqual([
      expect.stringMatching(/OPEN ACCESS.*every authenticated user may read and write every/),
    ]);
  });

  it('a custom authenticate hook decides who connects and who the user is', async () => {
    const seen: { token: string | undefined; agent: unknown }[] = [];
    const { url } = await startRelay({
      openAccess: true,
      authenticate: ({ token: t, headers }) => {
        seen.push({ token: t, agent: headers['user-agent'] });
        if (t === 'banned') throw new RelayError('forbidden', 'this account is suspended');
        if (t?.startsWith('key:')) return { id: t.slice(4) };
        throw new Error('unknown key');
      },
    });
    const replica = newReplicaId();
    const dana = await client(url, { replica, token: 'key:dana' });
    expect(dana.welcome).toBeDefined();
    expect(seen[0]?.token).toBe('key:dana');

    expect(await handshake(url, clientAuth('nonsense'))).toMatchObject({
      connected: false,
      code: 'unauthenticated',
      message: 'unknown key',
    });
    expect(await handshake(url, clientAuth(undefined))).toMatchObject({
      connected: false,
      code: 'unauthenticated',
    });
    // A RelayError keeps its code.
    expect(await handshake(url, clientAuth('banned'))).toMatchObject({
      connected: false,
      code: 'forbidden',
    });
    // The hook's user id is what replicas are bound to.
    expect(await handshake(url, clientAuth('key:eve', [replica]))).toMatchObject({
      connected: false,
      code: 'replica-owned',
    });
    expect(seen.map((s) => s.token)).toEqual([
      'key:dana',
      'nonsense',
      undefined,
      'banned',
      'key:eve',
    ]);
  });
});

describe('authorization', () => {
  it('a read the authorize hook denies gets a forbidden error and no sync reply', async () => {
    const asked: { user: string; doc: string; access: string }[] = [];
    const { url } = await startRelay({
      jwt: { secret: SECRET },
      authorize: (user: RelayUser, doc, access) => {
        asked.push({ user: user.id, doc, access });
        return !doc.startsWith('private/') || doc === `private/${user.id}`;
      },
    });
    const owner = await client(url, { token: await token('alice') });
    await owner.subscribe('private/alice', GCounter);
    await owner.write('private/alice', (s, me) => GCounter.increment(s, me, 5));

    const other = await client(url, { token: await token('bob') });
    await other.subscribe('private/alice', GCounter);
    // Messages of one connection are handled in order: once the next subscription's sync is
    // here, a sync for the refused one would have come before it.
    await other.subscribe('public', GCounter);
    expect(other.errors).toEqual([
      expect.objectContaining({ kind: 'error', code: 'forbidden', doc: 'private/alice' }),
    ]);
    const syncs = other.received.filter(
      (m): m is Extract<Message, { kind: 'sync' }> => m.kind === 'sync',
    );
    expect(syncs.map((m) => m.doc)).toEqual(['public']);
    expect(other.value('private/alice')).toBe(0);
    // Bob is not sent alice's later writes either: he never joined the document.
    await owner.write('private/alice', (s, me) => GCounter.increment(s, me, 1));
    await other.subscribe('public-2', GCounter);
    expect(other.received.some((m) => m.kind === 'delta' && m.doc === 'private/alice')).toBe(false);
    expect(asked).toContainEqual({ user: 'bob', doc: 'private/alice', access: 'read' });
    expect(asked).toContainEqual({ user: 'alice', doc: 'private/alice', access: 'write' });
  });
});

describe('peer authentication', () => {
  const peerAuth = (t?: string) => ({
    protocol: PROTOCOL_VERSION,
    peer: 'eu-west-1',
    relayId: 'eu-west-1-test',
    ...(t !== undefined ? { token: t } : {}),
  });

  it('a peer connection needs the deployment’s peer token', async () => {
    const { url } = await startRelay({
      jwt: { secret: SECRET },
      openAccess: true,
      peerToken: 'peer-secret',
    });
    expect(await handshake(url, peerAuth('wrong'))).toMatchObject({
      connected: false,
      code: 'unauthenticated',
    });
    expect(await handshake(url, peerAuth())).toMatchObject({
      connected: false,
      code: 'unauthenticated',
    });
    // A valid client JWT is no peer token.
    expect(await handshake(url, peerAuth(await token('alice')))).toMatchObject({
      connected: false,
      code: 'unauthenticated',
    });
    expect(await handshake(url, peerAuth('peer-secret'))).toEqual({ connected: true });
  });

  it('without a configured peer token, an authenticated relay admits no peer at all', async () => {
    const { url } = await startRelay({ jwt: { secret: SECRET }, openAccess: true });
    for (const t of [undefined, '', 'anything']) {
      expect(await handshake(url, peerAuth(t))).toMatchObject({
        connected: false,
        code: 'unauthenticated',
        message: expect.stringMatching(/peer token/),
      });
    }
  });
});
