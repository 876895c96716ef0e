import { request } from 'node:http';
import { GCounter, HybridLogicalClock, LWWMap } from '@helios/core';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { RelayOptions } from './options.js';
import { createRelay, type Relay } from './relay.js';
import { MemoryStore } from './store/memory-store.js';
import { meshLinks } from './test-support/mesh-links.js';
import { ProtocolClient } from './test-support/protocol-client.js';

/** The relay's admin endpoint over real HTTP: auth, the three views, hostile input. */
const open: { close(): unknown }[] = [];
afterEach(async () => {
  for (const c of open.splice(0).reverse()) await c.close();
});

const TOKEN = 'admin-secret-of-some-length';
const silent = pino({ level: 'silent' });

async function relayOf(options: Partial<RelayOptions> = {}): Promise<string> {
  const relay = createRelay({
    region: 'us',
    store: new MemoryStore({ region: 'us' }),
    anonymous: true,
    logger: silent,
    ...options,
  });
  open.push(relay);
  return (await relay.listen()).url;
}

async function clientOf(url: string): Promise<ProtocolClient> {
  const c = new ProtocolClient(url);
  open.push(c);
  await c.ready();
  return c;
}

/** GET (or `method`) `path` with the admin token (or `auth` as the Authorization header). */
async function admin(
  url: string,
  path: string,
  { auth = `Bearer ${TOKEN}`, method = 'GET' }: { auth?: string | null; method?: string } = {},
): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: auth === null ? {} : { authorization: auth },
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : JSON.parse(text) };
}

describe('admin endpoint', () => {
  it('is disabled without a token, in anonymous mode too', async () => {
    const url = await relayOf();
    expect((await admin(url, '/admin/replication')).status).toBe(404);
    expect((await admin(url, '/admin/documents/x')).status).toBe(404);
  });

  it('refuses requests without the token, with another, or with another scheme', async () => {
    const url = await relayOf({ adminToken: TOKEN });
    for (const auth of [
      null,
      'Bearer wrong-token-of-some-length',
      `Basic ${TOKEN}`,
      'Bearer ',
      TOKEN,
    ]) {
      const res = await admin(url, '/admin/replication', { auth });
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ error: 'unauthorized' });
    }
    // A prefix of the token is not the token.
    expect(
      (await admin(url, '/admin/replication', { auth: `Bearer ${TOKEN.slice(0, -1)}` })).status,
    ).toBe(401);
    expect((await admin(url, '/admin/replication', { method: 'POST' })).status).toBe(405);
    expect((await admin(url, '/admin/nothing')).status).toBe(404);
  });

  it('refuses a token shorter than 16 characters at start', () => {
    expect(() =>
      createRelay({
        region: 'us',
        store: new MemoryStore({ region: 'us' }),
        anonymous: true,
        logger: silent,
        adminToken: 'short',
      }),
    ).toThrow(/16 characters/);
  });

  it("shows a document's type, value, causal context and last seq", async () => {
    const url = await relayOf({ adminToken: TOKEN });
    const writer = await clientOf(url);
    await writer.subscribe('views', GCounter);
    await writer.write('views', (s, me) => GCounter.increment(s, me, 3));
    await writer.write('views', (s, me) => GCounter.increment(s, me, 2));
    const res = await admin(url, '/admin/documents/views');
    expect(res).toEqual({
      status: 200,
      body: {
        id: 'views',
        type: 'g-counter',
        value: 5,
        context: [{ replica: writer.replica, ranges: [[1, 2]] }],
        lastSeq: 2,
      },
    });
    expect((await admin(url, '/admin/documents/unknown')).status).toBe(404);
    // Ids are URL-decoded.
    await writer.subscribe('a b/c', GCounter);
    await writer.write('a b/c', (s, me) => GCounter.increment(s, me, 1));
    const encoded = await admin(url, `/admin/documents/${encodeURIComponent('a b/c')}`);
    expect(encoded.body).toMatchObject({ id: 'a b/c', value: 1 });
  });

  it('refuses bad and huge ids with a 400 and keeps serving', async () => {
    const url = await relayOf({ adminToken: TOKEN });
    for (const path of [
      '/admin/documents/',
      `/admin/documents/${'x'.repeat(257)}`,
      '/admin/documents/%E0%A4%A',
      `/admin/documents/${'%41'.repeat(4000)}`,
      `/admin/conflicts?doc=${'x'.repeat(257)}`,
      '/admin/conflicts?doc=',
    ]) {
      const res = await admin(url, path);
      expect(res.status, path).toBe(400);
      expect(res.body).toMatchObject({ error: 'invalid-argument' });
    }
    // Past Node's header limit the request never reaches the relay: refused all the same.
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${url}/admin/documents/${'y'.repeat(100_000)}`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      req.on('response', (res) => resolve(res.statusCode ?? 0));
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(431);
    expect((await admin(url, '/admin/replication')).status).toBe(200);
  });

  it('lists recent LWW conflicts with the winner, the loser and the key, per document', async () => {
    const url = await relayOf({ adminToken: TOKEN });
    const a = await clientOf(url);
    const b = await clientOf(url);
    await a.subscribe('settings', LWWMap);
    await b.subscribe('settings', LWWMap);
    // Concurrent: both deltas are made before either client has seen the other's write.
    const clockA = new HybridLogicalClock({ replica: a.replica });
    const clockB = new HybridLogicalClock({ replica: b.replica });
    await Promise.all([
      a.write('settings', (s) => LWWMap.set(s, clockA, 'theme', 'dark')),
      b.write('settings', (s) => LWWMap.set(s, clockB, 'theme', 'light')),
    ]);
    const res = await admin(url, '/admin/conflicts?doc=settings');
    expect(res.status).toBe(200);
    const { conflicts } = res.body as { conflicts: Record<string, unknown>[] };
    expect(conflicts).toHaveLength(1);
    expect(conflicts[0]).toMatchObject({
      doc: 'settings',
      type: 'lww-map',
      kind: 'lww-overwrite',
      key: 'theme',
    });
    const { winner, losers } = conflicts[0] as {
      winner: { replica: string };
      losers: { replica: string }[];
    };
    expect([winner.replica, losers[0]!.replica].sort()).toEqual([a.replica, b.replica].sort());
    expect((await admin(url, '/admin/conflicts')).body).toEqual(res.body);
    expect((await admin(url, '/admin/conflicts?doc=other')).body).toEqual({ conflicts: [] });
  });

  it('shows each peer region: link, feed position acknowledged, lag', async () => {
    const regions = ['us', 'eu'] as const;
    const { ports, links } = await meshLinks(regions, (proxy) => open.push(proxy));
    const urls = new Map<string, string>();
    for (const region of regions) {
      const other = regions.find((r) => r !== region)!;
      const relay: Relay = createRelay({
        region,
        store: new MemoryStore({ region }),
        anonymous: true,
        logger: silent,
        adminToken: TOKEN,
        peers: [{ region: other, url: links.get(`${region}->${other}`)!.url }],
      });
      open.push(relay);
      urls.set(region, (await relay.listen(ports.get(region)!)).url);
    }
    const us = urls.get('us')!;
    const writer = await clientOf(us);
    await writer.subscribe('views', GCounter);
    links.get('eu->us')!.cut(); // eu cannot pull us's feed
    await writer.write('views', (s, me) => GCounter.increment(s, me, 1));
    const behind = await admin(us, '/admin/replication');
    expect(behind.body).toMatchObject({
      region: 'us',
      peers: [{ region: 'eu', ackedUpTo: 0, lagChanges: 1 }],
    });
    links.get('eu->us')!.heal();
    let peer: Record<string, unknown> = {};
    for (const deadline = Date.now() + 10_000; Date.now() < deadline; ) {
      const { body } = await admin(us, '/admin/replication');
      peer = (body as { peers: Record<string, unknown>[] }).peers[0]!;
      if (peer.ackedUpTo === 1) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(peer).toEqual({ region: 'eu', connected: true, ackedUpTo: 1, lagChanges: 0, lagMs: 0 });
  });
});
