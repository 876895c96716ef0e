import { GCounter } from '@helios/core';
import {
  type ErrorEvent,
  encodeMessage,
  type Presence,
  type PresenceEntry,
} from '@helios/core/protocol';
import { freePort } from '@helios/test-kit';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { RelayOptions } from './options.js';
import { createRelay } from './relay.js';
import { MAX_PRESENCE_DOCUMENTS } from './session-presence.js';
import { MemoryStore } from './store/memory-store.js';
import { meshLinks } from './test-support/mesh-links.js';
import { eventually, ProtocolClient } from './test-support/protocol-client.js';

const open: { close(): unknown }[] = [];
afterEach(async () => {
  for (const c of open.splice(0).reverse()) await c.close();
});

async function relayOf(options: Partial<RelayOptions> = {}): Promise<string> {
  const relay = createRelay({
    region: 'eu-west-1',
    store: new MemoryStore({ region: 'eu-west-1' }),
    anonymous: true,
    logger: pino({ level: 'silent' }),
    ...options,
  });
  open.push(relay);
  return (await relay.listen(await freePort())).url;
}

async function clientOf(url: string, doc = 'cart', token?: string): Promise<ProtocolClient> {
  const c = new ProtocolClient(url, token !== undefined ? { token } : {});
  open.push(c);
  await c.ready();
  if (doc !== '') await c.subscribe(doc, GCounter);
  return c;
}

/** Every presence entry `c` was sent for `doc`, in order. */
function presenceOf(c: ProtocolClient, doc = 'cart'): PresenceEntry[] {
  return c.received
    .filter((m): m is Presence => m.kind === 'presence' && m.doc === doc)
    .flatMap((m) => m.entries);
}

/** What `c` sees of the others on `doc` now: the entries' last word, by id. */
function othersOf(c: ProtocolClient, doc = 'cart'): Map<string, PresenceEntry> {
  const others = new Map<string, PresenceEntry>();
  for (const e of presenceOf(c, doc)) {
    if (e.state === undefined) others.delete(e.id);
    else others.set(e.id, e);
  }
  return others;
}

function errorOf(c: ProtocolClient, code: string): Promise<ErrorEvent> {
  return c.waitFor((m): m is ErrorEvent => m.kind === 'error' && m.code === code);
}

describe('presence on one relay', () => {
  it('is forwarded to the other subscribers, stamped by the relay, and sent to a new subscriber', async () => {
    const url = await relayOf();
    const [ada, bob] = [await clientOf(url), await clientOf(url)];
    // The state claims another identity: it is only a state; the entry is the relay's.
    ada.send({
      kind: 'presence-set',
      doc: 'cart',
      state: { looking: 'cart', id: 'bob', region: 'us-east-1' },
    });
    await eventually(() => othersOf(bob).size === 1, 'bob sees ada');
    const seen = [...othersOf(bob).values()][0]!;
    expect(seen).toEqual({
      id: ada.socket.id,
      region: 'eu-west-1',
      user: 'anonymous',
      state: { looking: 'cart', id: 'bob', region: 'us-east-1' },
    });
    expect(presenceOf(ada)).toEqual([]); // never its own entry back
    // A subscriber that comes later gets the current presence right after its sync.
    const cy = await clientOf(url);
    await eventually(() => othersOf(cy).size === 1, 'cy sees ada');
    const sync = cy.received.findIndex((m) => m.kind === 'sync');
    expect(cy.received.findIndex((m) => m.kind === 'presence')).toBeGreaterThan(sync);
    // Clearing is a removal for the others.
    ada.send({ kind: 'presence-set', doc: 'cart' });
    await eventually(() => othersOf(bob).size === 0 && othersOf(cy).size === 0, 'ada cleared');
  });

  it('removes an entry when its connection closes or unsubscribes', async () => {
    const url = await relayOf();
    const [ada, bob, cy] = [await clientOf(url), await clientOf(url), await clientOf(url)];
    ada.send({ kind: 'presence-set', doc: 'cart', state: 'a' });
    cy.send({ kind: 'presence-set', doc: 'cart', state: 'c' });
    await eventually(() => othersOf(bob).size === 2, 'bob sees ada and cy');
    ada.close();
    await eventually(() => !othersOf(bob).has(ada.socket.id ?? ''), 'ada gone');
    cy.send({ kind: 'unsubscribe', docs: ['cart'] });
    await eventually(() => othersOf(bob).size === 0, 'cy gone');
  });

  it('expires an entry that is not refreshed within the TTL; a refresh is not forwarded', async () => {
    const url = await relayOf({ limits: { presenceTtlMs: 300 } });
    const [ada, bob] = [await clientOf(url), await clientOf(url)];
    ada.send({ kind: 'presence-set', doc: 'cart', state: 'here' });
    await eventually(() => othersOf(bob).size === 1, 'bob sees ada');
    // Refreshed with the same state (kept alive past the TTL), then changed: bob hears the change
    // right after the first set, nothing of the refreshes in between.
    for (let i = 0; i < 4; i++) {
      await new Promise((r) => setTimeout(r, 100));
      ada.send({ kind: 'presence-set', doc: 'cart', state: 'here' });
    }
    ada.send({ kind: 'presence-set', doc: 'cart', state: 'moved' });
    await eventually(() => othersOf(bob).get(ada.socket.id ?? '')?.state === 'moved', 'moved');
    expect(presenceOf(bob).map((e) => e.state)).toEqual(['here', 'moved']);
    await eventually(() => othersOf(bob).size === 0, 'the entry expired');
    expect(presenceOf(bob).at(-1)).toEqual({ id: ada.socket.id, region: 'eu-west-1' });
  });

  it('takes presence only from subscribers of documents they may read', async () => {
    const url = await relayOf({
      anonymous: false,
      authenticate: ({ token }) => ({ id: token ?? 'nobody' }),
      authorize: (user, doc) => user.id === 'ada' || doc !== 'secret',
    });
    const ada = await clientOf(url, 'secret', 'ada');
    const eve = await clientOf(url, 'cart', 'eve');
    // Eve is not subscribed to `secret` (she may not read it): her presence there is refused.
    eve.send({ kind: 'presence-set', doc: 'secret', state: 'peeking' });
    expect((await errorOf(eve, 'forbidden')).doc).toBe('secret');
    void eve.subscribe('secret', GCounter);
    await eventually(() => eve.errors.length === 2, 'her subscription refused');
    eve.send({ kind: 'presence-set', doc: 'secret', state: 'peeking' });
    await eventually(() => eve.errors.length === 3, 'refused again');
    // Ada, allowed, sets hers; eve never hears it (she is no subscriber).
    ada.send({ kind: 'presence-set', doc: 'secret', state: 'in' });
    const bob = await clientOf(url, 'secret', 'ada');
    await eventually(() => othersOf(bob, 'secret').size === 1, 'another reader sees ada');
    expect(presenceOf(eve, 'secret')).toEqual([]);
  });

  it('refuses oversize and non-JSON states, messages of the relay, and a flood', async () => {
    const url = await relayOf({ limits: { maxPresenceSetsPerSecond: 5 } });
    const [ada, bob] = [await clientOf(url), await clientOf(url)];
    const big = encodeMessage({ kind: 'presence-set', doc: 'cart', state: 'x'.repeat(2000) });
    ada.sendRaw(big);
    await errorOf(ada, 'decode/invariant');
    // A client may not send what only a relay sends (a forged `presence` for others).
    ada.send({ kind: 'presence', doc: 'cart', entries: [{ id: 'x', region: 'r', state: 1 }] });
    await errorOf(ada, 'wrong-role');
    // A burst of two seconds' worth goes through; the rest is refused, and bob hears only those.
    for (let i = 0; i < 30; i++) ada.send({ kind: 'presence-set', doc: 'cart', state: i });
    const refused = () => ada.errors.filter((e) => e.code === 'rate-limited').length;
    await eventually(() => presenceOf(bob).length + refused() === 30, 'each set taken or refused');
    expect(presenceOf(bob).length).toBeGreaterThanOrEqual(10);
    expect(refused()).toBeGreaterThan(0);
  });

  it('caps the documents one connection shows a state on', async () => {
    const url = await relayOf();
    const ada = await clientOf(url, '');
    const docs = Array.from({ length: MAX_PRESENCE_DOCUMENTS + 1 }, (_, i) => `doc-${i}`);
    for (const doc of docs) await ada.subscribe(doc, GCounter);
    for (const doc of docs) ada.send({ kind: 'presence-set', doc, state: 'here' });
    expect((await errorOf(ada, 'too-large')).doc).toBe(docs.at(-1));
    expect(ada.errors).toHaveLength(1);
    // Leaving one makes room.
    ada.send({ kind: 'unsubscribe', docs: ['doc-0'] });
    ada.send({ kind: 'presence-set', doc: docs.at(-1)!, state: 'here' });
    const bob = await clientOf(url, docs.at(-1));
    await eventually(() => othersOf(bob, docs.at(-1)).size === 1, 'the last one shown');
    expect(ada.errors).toHaveLength(1);
  });

  it('caps the entries of a document per region', async () => {
    const url = await relayOf({ limits: { maxPresencePerDocument: 2 } });
    const clients = [await clientOf(url), await clientOf(url), await clientOf(url)];
    const bob = await clientOf(url);
    for (const c of clients) c.send({ kind: 'presence-set', doc: 'cart', state: 'hi' });
    const refused = await errorOf(clients[2]!, 'too-large');
    expect(refused.doc).toBe('cart');
    await eventually(() => othersOf(bob).size === 2, 'two entries');
    // A slot that frees up may be taken.
    clients[0]!.close();
    await eventually(() => othersOf(bob).size === 1, 'one left');
    clients[2]!.send({ kind: 'presence-set', doc: 'cart', state: 'again' });
    await eventually(() => othersOf(bob).size === 2, 'taken');
  });
});

describe('presence across regions', () => {
  const REGIONS = ['eu-west-1', 'ap-southeast-1'] as const;

  async function twoRegions() {
    const { ports, links } = await meshLinks(REGIONS, (proxy) => open.push(proxy));
    const urls = new Map<string, string>();
    for (const region of REGIONS) {
      const relay = createRelay({
        region,
        store: new MemoryStore({ region }),
        anonymous: true,
        logger: pino({ level: 'silent' }),
        peers: REGIONS.filter((r) => r !== region).map((r) => ({
          region: r,
          url: links.get(`${region}->${r}`)!.url,
        })),
      });
      open.push(relay);
      urls.set(region, (await relay.listen(ports.get(region)!)).url);
    }
    return { urls, links };
  }

  it('reaches the subscribers of a peer region, and goes when the link drops', async () => {
    const { urls, links } = await twoRegions();
    const eu = await clientOf(urls.get('eu-west-1')!);
    const ap = await clientOf(urls.get('ap-southeast-1')!);
    eu.send({ kind: 'presence-set', doc: 'cart', state: { looking: 'cart' } });
    await eventually(() => othersOf(ap).size === 1, 'ap sees eu');
    expect([...othersOf(ap).values()][0]).toMatchObject({
      id: eu.socket.id,
      region: 'eu-west-1',
      state: { looking: 'cart' },
    });
    ap.send({ kind: 'presence-set', doc: 'cart', state: 'ap' });
    await eventually(
      () => othersOf(eu).get(ap.socket.id ?? '')?.region === 'ap-southeast-1',
      'eu sees ap',
    );
    // The link eu → ap drops: ap drops eu's entries. When it is back, eu sends them again.
    links.get('eu-west-1->ap-southeast-1')!.cut();
    await eventually(() => othersOf(ap).size === 0, 'eu entries dropped in ap');
    links.get('eu-west-1->ap-southeast-1')!.heal();
    await eventually(() => othersOf(ap).size === 1, 'eu entries back in ap');
  });

  it('stamps a peer’s entries with the region of its handshake, and caps them', async () => {
    const url = await relayOf({ limits: { maxPresencePerDocument: 3 } });
    const bob = await clientOf(url);
    const peer = new ProtocolClient(url, { peer: 'us-east-1' });
    open.push(peer);
    await peer.ready();
    const entries = Array.from({ length: 5 }, (_, i) => ({ doc: 'cart', id: `p${i}`, state: i }));
    peer.send({ kind: 'peer-presence', entries });
    await eventually(() => othersOf(bob).size === 3, 'three entries, the cap');
    for (const e of othersOf(bob).values()) expect(e.region).toBe('us-east-1');
    // A peer that calls itself this relay's region cannot speak for its connections.
    const twin = new ProtocolClient(url, { peer: 'eu-west-1' });
    open.push(twin);
    await twin.ready();
    twin.send({ kind: 'peer-presence', entries: [{ doc: 'cart', id: 'p9', state: 'me too' }] });
    // Hostile bytes from a peer are dropped; the relay goes on.
    peer.sendRaw(Uint8Array.from([1, 18, 1, 4, 99, 97, 114, 116, 0]));
    peer.send({ kind: 'peer-presence', entries: [{ doc: 'cart', id: 'p0', state: 'still' }] });
    await eventually(() => othersOf(bob).get('p0')?.state === 'still', 'the peer goes on');
    expect([...othersOf(bob).keys()].sort()).toEqual(['p0', 'p1', 'p2']); // nothing of the twin
    peer.close();
    await eventually(() => othersOf(bob).size === 0, 'the peer’s entries went with it');
  });
});
