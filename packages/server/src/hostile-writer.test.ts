import { join } from 'node:path';
import {
  type AnyCrdtType,
  AWSet,
  CausalContext,
  type CounterEntry,
  type DotEntry,
  type DotFun,
  type DotMap,
  GCounter,
  HybridLogicalClock,
  LWWMap,
  LWWRegister,
  type LwwEntry,
  MVRegister,
  orMap,
  PNCounter,
  type ReplicaId,
} from '@helios/core';
import type { Ack, ErrorEvent, Message, SyncReply } from '@helios/core/protocol';
import { SignJWT } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { meshLinks } from './test-support/mesh-links.js';
import { eventually, ProtocolClient } from './test-support/protocol-client.js';
import { RelayProcess } from './test-support/relay-process.js';
import { tempDir } from './test-support/temp-dir.js';

/**
 * Attacks of issue #11 ("a hostile or broken writer cannot erase, rewrite or stall what others
 * wrote") against real `helios-relay` processes with JWT users. Every hostile delta is built by
 * hand from the core types and pushed as raw protocol bytes, as an attacker would; what the
 * relay keeps is read back by a fresh subscriber. docs/security.md names these tests.
 */

const SECRET = 'hostile-writer-test-secret-long-enough-for-hs256';
const PEER_TOKEN = 'hostile-writer-peer-token';

let dir: { path: string; remove(): Promise<void> };
const open: { close(): unknown }[] = [];
const relays: RelayProcess[] = [];

beforeAll(async () => {
  dir = await tempDir('helios-hostile-');
});
afterEach(async () => {
  for (const c of open.splice(0).reverse()) await c.close();
});
afterAll(async () => {
  for (const r of relays.splice(0)) await r.stop('SIGKILL');
  await dir.remove();
});

/** Starts `helios-relay` with JWT users and no authorize hook: every user may write every doc. */
async function startRelay(region: string, extra: string[] = [], port = 0): Promise<RelayProcess> {
  // RelayProcess spreads process.env under ours: blank out inherited HELIOS_* settings.
  const blank: Record<string, string> = {};
  for (const k of Object.keys(process.env)) if (k.startsWith('HELIOS_')) blank[k] = '';
  const relay = await RelayProcess.start(
    [
      '--region',
      region,
      '--port',
      String(port),
      '--db',
      join(dir.path, `${region}.sqlite`),
      '--jwt-secret',
      SECRET,
      '--open-access',
      ...extra,
    ],
    blank,
  );
  relays.push(relay);
  return relay;
}

function tokenOf(user: string): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(user)
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(SECRET));
}

/** A raw protocol connection of `user` (its own fresh replica id unless `replicas` says). */
async function connect(
  url: string,
  user: string,
  options: { replica?: ReplicaId; replicas?: ReplicaId[] } = {},
): Promise<ProtocolClient> {
  const c = new ProtocolClient(url, { ...options, token: await tokenOf(user) });
  open.push(c);
  await c.ready();
  return c;
}

async function subscribed(
  url: string,
  user: string,
  doc: string,
  type: AnyCrdtType,
): Promise<ProtocolClient> {
  const c = await connect(url, user);
  await c.subscribe(doc, type);
  return c;
}

/** The document as the relay holds it: the sync reply to a fresh, empty subscription. */
async function relayState(url: string, doc: string, type: AnyCrdtType) {
  const reader = await connect(url, 'reader', { replicas: [] });
  await reader.subscribe(doc, type);
  const sync = reader.received.find((m): m is SyncReply => m.kind === 'sync' && m.doc === doc);
  if (sync === undefined)
    throw new Error(`no sync reply for ${doc}: ${JSON.stringify(reader.errors)}`);
  reader.close();
  return { bytes: sync.delta, value: reader.value(doc) };
}

function ctx(...dots: [ReplicaId, number][]): CausalContext {
  const c = new CausalContext();
  for (const [replica, seq] of dots) c.add(replica, seq);
  return c;
}

function entry<V>(replica: ReplicaId, seq: number, value: V): DotEntry<V> {
  return { replica, seq, value };
}

/** A map store (OR-Map, LWW-Map, sets) of `entries`, with its index of which key holds a dot. */
function dotMap<V>(entries: [string, DotFun<V>][]): DotMap<DotFun<V>> {
  const map: DotMap<DotFun<V>> = { entries: new Map(), owners: new Map() };
  for (const [key, store] of entries) {
    map.entries.set(key, store);
    for (const { replica, seq } of store) {
      const bySeq = map.owners.get(replica) ?? new Map<number, string>();
      map.owners.set(replica, bySeq.set(seq, key));
    }
  }
  return map;
}

let nextPush = 10_000;

/** Pushes hand-made bytes and resolves with the relay's answer to that push: ack or error. */
async function push(
  c: ProtocolClient,
  doc: string,
  delta: Uint8Array,
): Promise<{ id: number; answer: Ack | ErrorEvent }> {
  const id = nextPush++;
  c.send({ kind: 'push', entries: [{ id, doc, delta }] });
  const answer = await c.waitFor(
    (m: Message): m is Ack | ErrorEvent =>
      (m.kind === 'ack' && m.ids.includes(id)) || (m.kind === 'error' && m.push === id),
  );
  return { id, answer };
}

/** Expects the relay to refuse the push with `code` (the error names the push and the doc). */
async function expectRefused(
  c: ProtocolClient,
  doc: string,
  delta: Uint8Array,
  code: string,
): Promise<void> {
  const { id, answer } = await push(c, doc, delta);
  expect(answer).toMatchObject({ kind: 'error', code, push: id, doc });
}

/**
 * Every LWW-Map value the relay has sent `watcher` for `doc`. First `writer` makes one more
 * write and the watcher waits for it: the relay fans a document's deltas out in commit order, so
 * a forged delta it had accepted would have reached the watcher by then.
 */
async function valuesSentTo(
  watcher: ProtocolClient,
  writer: ProtocolClient,
  doc: string,
): Promise<unknown[]> {
  const clock = new HybridLogicalClock({ replica: writer.replica });
  await writer.write(doc, (s) => LWWMap.set(s, clock, 'marker', 'after'));
  await eventually(
    () => (watcher.value(doc) as Map<string, unknown>).get('marker') === 'after',
    'the watcher has the later write',
  );
  const values: unknown[] = [];
  for (const m of watcher.received) {
    if ((m.kind !== 'delta' && m.kind !== 'sync') || m.doc !== doc) continue;
    for (const entries of LWWMap.decode(m.delta).store.entries.values()) {
      for (const e of entries) values.push(e.value.value);
    }
  }
  return values;
}

describe('a hostile writer against a real relay process', () => {
  let url: string;
  beforeAll(async () => {
    url = (await startRelay('us-east-1')).url;
  });

  it('G-Counter: a context covering another user’s dot without their entry is refused (foreign-removal)', async () => {
    const doc = 'views';
    const alice = await subscribed(url, 'alice', doc, GCounter);
    await alice.write(doc, (s, me) => GCounter.increment(s, me, 100));
    const bob = await subscribed(url, 'bob', doc, GCounter);
    expect(bob.value(doc)).toBe(100);

    // Bob's own first increment, with a context that also covers alice's entry (alice:1).
    const erase = GCounter.encode({
      context: ctx([alice.replica, 1], [bob.replica, 1]),
      store: [entry<CounterEntry>(bob.replica, 1, { p: 1, n: 0 })],
    });
    await expectRefused(bob, doc, erase, 'foreign-removal');
    expect((await relayState(url, doc, GCounter)).value).toBe(100);

    // The refusal is of that delta, not of bob: his honest increment is taken.
    await bob.write(doc, (s, me) => GCounter.increment(s, me, 1));
    expect((await relayState(url, doc, GCounter)).value).toBe(101);
  });

  it('PN-Counter: a context-only delta covering another user’s entry is refused (foreign-removal)', async () => {
    const doc = 'likes';
    const alice = await subscribed(url, 'alice', doc, PNCounter);
    await alice.write(doc, (s, me) => PNCounter.increment(s, me, 30));
    await alice.write(doc, (s, me) => PNCounter.decrement(s, me, 7)); // alice:2 replaces alice:1
    const bob = await subscribed(url, 'bob', doc, PNCounter);
    expect(bob.value(doc)).toBe(23);

    const erase = PNCounter.encode({
      context: ctx([alice.replica, 1], [alice.replica, 2], [bob.replica, 1]),
      store: [],
    });
    await expectRefused(bob, doc, erase, 'foreign-removal');
    expect((await relayState(url, doc, PNCounter)).value).toBe(23);
  });

  it('a connection bound to no replica id cannot push (no-replica)', async () => {
    const doc = 'downloads';
    const alice = await subscribed(url, 'alice', doc, GCounter);
    await alice.write(doc, (s, me) => GCounter.increment(s, me, 100));
    const anonymous = await connect(url, 'bob', { replicas: [] });

    // Writes nothing under any replica, only a context that covers alice's entry.
    const erase = GCounter.encode({ context: ctx([alice.replica, 1]), store: [] });
    await expectRefused(anonymous, doc, erase, 'no-replica');
    expect((await relayState(url, doc, GCounter)).value).toBe(100);
  });

  it('a writer cannot drop its own counter entry and re-add it lower (counter-decrease)', async () => {
    const doc = 'points';
    const alice = await subscribed(url, 'alice', doc, GCounter);
    await alice.write(doc, (s, me) => GCounter.increment(s, me, 150)); // alice:1 = 150
    const me = alice.replica;

    // First delta: a new dot alice:2 whose context covers alice:1, and no entry at all.
    const drop = GCounter.encode({ context: ctx([me, 1], [me, 2]), store: [] });
    await expectRefused(alice, doc, drop, 'counter-decrease');
    // Second delta: alice:3 = 1, replacing everything up to it.
    const lower = GCounter.encode({
      context: ctx([me, 1], [me, 2], [me, 3]),
      store: [entry<CounterEntry>(me, 3, { p: 1, n: 0 })],
    });
    await expectRefused(alice, doc, lower, 'counter-decrease');
    expect((await relayState(url, doc, GCounter)).value).toBe(150);
  });

  it('LWW-Register and MV-Register: a context-only delta that would clear the register is refused (register-write)', async () => {
    const alice = await connect(url, 'alice');
    const bob = await connect(url, 'bob');
    const clock = new HybridLogicalClock({ replica: alice.replica });

    await alice.subscribe('title', LWWRegister);
    await alice.write('title', (s) => LWWRegister.set(s, clock, 'hello'));
    const clear = LWWRegister.encode({
      context: ctx([alice.replica, 1], [bob.replica, 1]),
      store: [],
    });
    await expectRefused(bob, 'title', clear, 'register-write');
    expect((await relayState(url, 'title', LWWRegister)).value).toBe('hello');

    await alice.subscribe('motto', MVRegister);
    await alice.write('motto', (s, me) => MVRegister.set(s, me, 'carpe diem'));
    const clearMv = MVRegister.encode({
      context: ctx([alice.replica, 1], [bob.replica, 2]),
      store: [],
    });
    await expectRefused(bob, 'motto', clearMv, 'register-write');
    expect((await relayState(url, 'motto', MVRegister)).value).toEqual(['carpe diem']);
  });

  it('OR-Map<PN-Counter> cart: covering another user’s counter while keeping the line is refused (foreign-removal); removing the line is allowed', async () => {
    const doc = 'cart';
    const Cart = orMap(PNCounter);
    const alice = await subscribed(url, 'alice', doc, Cart);
    await alice.write(doc, (s) =>
      Cart.update(s, 'sku-1', (line) => PNCounter.increment(line, alice, 2)),
    );
    const bob = await subscribed(url, 'bob', doc, Cart);
    await bob.write(doc, (s) =>
      Cart.update(s, 'sku-1', (line) => PNCounter.increment(line, bob, 5)),
    );
    await eventually(
      () => alice.docs.get(doc)!.state.context.has(bob.replica, 1),
      'alice has seen bob’s increment',
    );
    expect((await relayState(url, doc, Cart)).value).toEqual(new Map([['sku-1', 7]]));

    // Alice keeps the line with her own new entry (2 -> 3) and covers bob's entry (bob:1).
    const keepAndErase = Cart.encode({
      context: ctx([alice.replica, 1], [alice.replica, 2], [bob.replica, 1]),
      store: dotMap([['sku-1', [entry<CounterEntry>(alice.replica, 2, { p: 3, n: 0 })]]]),
    });
    await expectRefused(alice, doc, keepAndErase, 'foreign-removal');
    expect((await relayState(url, doc, Cart)).value).toEqual(new Map([['sku-1', 7]]));

    // Removing the whole line, bob's increment with it, is what an OR-Map remove means.
    await alice.write(doc, (s, me) => Cart.remove(s, me, 'sku-1'));
    expect((await relayState(url, doc, Cart)).value).toEqual(new Map());
  });

  it('another user’s seen dot re-sent with different content is refused (foreign-dot)', async () => {
    const doc = 'profile';
    const alice = await subscribed(url, 'alice', doc, LWWMap);
    const clock = new HybridLogicalClock({ replica: alice.replica });
    await alice.write(doc, (s) => LWWMap.set(s, clock, 'name', 'Alice'));
    const bob = await subscribed(url, 'bob', doc, LWWMap);
    const watcher = await subscribed(url, 'carol', doc, LWWMap);
    const seen = (bob.docs.get(doc)!.state.store as DotMap<DotFun<LwwEntry>>).entries.get('name')!;
    expect(seen).toEqual([expect.objectContaining({ replica: alice.replica, seq: 1 })]);

    // Alice's dot alice:1, same timestamp, other value.
    const rewrite = LWWMap.encode({
      context: ctx([alice.replica, 1]),
      store: dotMap([['name', [{ ...seen[0]!, value: { ...seen[0]!.value, value: 'Mallory' } }]]]),
    });
    await expectRefused(bob, doc, rewrite, 'foreign-dot');
    expect((await relayState(url, doc, LWWMap)).value).toEqual(new Map([['name', 'Alice']]));
    expect(await valuesSentTo(watcher, alice, doc)).not.toContain('Mallory');
  });

  it('a writer’s own live dot re-sent with different content is refused (dot-conflict)', async () => {
    const doc = 'settings';
    const alice = await subscribed(url, 'alice', doc, LWWMap);
    const clock = new HybridLogicalClock({ replica: alice.replica });
    await alice.write(doc, (s) => LWWMap.set(s, clock, 'theme', 'dark'));
    const watcher = await subscribed(url, 'carol', doc, LWWMap);
    const live = (alice.docs.get(doc)!.state.store as DotMap<DotFun<LwwEntry>>).entries.get(
      'theme',
    )!;

    const rewrite = LWWMap.encode({
      context: ctx([alice.replica, 1]),
      store: dotMap([['theme', [{ ...live[0]!, value: { ...live[0]!.value, value: 'light' } }]]]),
    });
    await expectRefused(alice, doc, rewrite, 'dot-conflict');
    expect((await relayState(url, doc, LWWMap)).value).toEqual(new Map([['theme', 'dark']]));
    expect(await valuesSentTo(watcher, alice, doc)).not.toContain('light');
  });

  it('a delta with no dot of its writer is refused (unattributed)', async () => {
    const doc = 'tags';
    const bob = await subscribed(url, 'bob', doc, AWSet);
    await bob.write(doc, (s, me) => AWSet.add(s, me, 'b'));
    const alice = await connect(url, 'alice');

    // Bob's element removed by a context that names Bob's dot alone: nothing says who did it.
    const anonymous = AWSet.encode({ context: ctx([bob.replica, 1]), store: dotMap([]) });
    await expectRefused(alice, doc, anonymous, 'unattributed');
    expect((await relayState(url, doc, AWSet)).value).toEqual(new Set(['b']));
  });

  it('a known write re-sent to clear a register is refused (register-write)', async () => {
    const doc = 'headline';
    const alice = await subscribed(url, 'alice', doc, MVRegister);
    await alice.write(doc, (s, me) => MVRegister.set(s, me, 'first'));
    const bob = await subscribed(url, 'bob', doc, MVRegister);
    await bob.write(doc, (s, me) => MVRegister.set(s, me, 'second'));

    // Alice's superseded write, its context widened to cover Bob's live one.
    const widened = MVRegister.encode({
      context: ctx([alice.replica, 1], [bob.replica, 1]),
      store: [entry(alice.replica, 1, 'first')],
    });
    await expectRefused(alice, doc, widened, 'register-write');
    expect((await relayState(url, doc, MVRegister)).value).toEqual(['second']);
  });

  it('a new dot under another user’s replica id is refused (foreign-dot)', async () => {
    const doc = 'board';
    const alice = await subscribed(url, 'alice', doc, AWSet);
    await alice.write(doc, (s, me) => AWSet.add(s, me, 'a'));
    const bob = await subscribed(url, 'bob', doc, AWSet);

    // Alice's next dot, alice:2, which nobody has written yet.
    const impersonate = AWSet.encode({
      context: ctx([alice.replica, 2]),
      store: dotMap([['forged', [entry<true>(alice.replica, 2, true)]]]),
    });
    await expectRefused(bob, doc, impersonate, 'foreign-dot');
    expect((await relayState(url, doc, AWSet)).value).toEqual(new Set(['a']));
    // Alice's own next write keeps its dot.
    await alice.write(doc, (s, me) => AWSet.add(s, me, 'b'));
    expect((await relayState(url, doc, AWSet)).value).toEqual(new Set(['a', 'b']));
  });

  it('claiming another user’s replica id at connection is refused (replica-owned)', async () => {
    const alice = await connect(url, 'alice');
    await expect(connect(url, 'bob', { replica: alice.replica })).rejects.toMatchObject({
      data: { code: 'replica-owned' },
    });
  });

  it('a context claiming writes of another replica that the relay never saw is refused (unknown-context)', async () => {
    const doc = 'clicks';
    const alice = await subscribed(url, 'alice', doc, GCounter);
    await alice.write(doc, (s, me) => GCounter.increment(s, me, 5));
    const bob = await subscribed(url, 'bob', doc, GCounter);

    // Bob's own increment, claiming to have seen alice:2 and alice:3 as well: merged, it would
    // make every relay ignore alice's next two writes.
    const ahead = GCounter.encode({
      context: ctx([alice.replica, 1], [alice.replica, 2], [alice.replica, 3], [bob.replica, 1]),
      store: [entry<CounterEntry>(bob.replica, 1, { p: 1, n: 0 })],
    });
    await expectRefused(bob, doc, ahead, 'unknown-context');
    await alice.write(doc, (s, me) => GCounter.increment(s, me, 1)); // alice:2
    expect((await relayState(url, doc, GCounter)).value).toBe(6);
  });

  it('a writer’s own superseded dot re-sent with other content is acknowledged and changes nothing', async () => {
    const doc = 'prefs';
    const alice = await subscribed(url, 'alice', doc, LWWMap);
    const clock = new HybridLogicalClock({ replica: alice.replica });
    await alice.write(doc, (s) => LWWMap.set(s, clock, 'lang', 'en')); // alice:1
    const first = (alice.docs.get(doc)!.state.store as DotMap<DotFun<LwwEntry>>).entries.get(
      'lang',
    )![0]!;
    await alice.write(doc, (s) => LWWMap.set(s, clock, 'lang', 'fr')); // alice:2 replaces it
    const watcher = await subscribed(url, 'carol', doc, LWWMap);

    // alice:1 is gone everywhere: its content can no longer be compared, nor does it matter.
    const replay = LWWMap.encode({
      context: ctx([alice.replica, 1]),
      store: dotMap([['lang', [{ ...first, value: { ...first.value, value: 'de' } }]]]),
    });
    const { id, answer } = await push(alice, doc, replay);
    expect(answer).toEqual({ kind: 'ack', ids: [id] });
    expect((await relayState(url, doc, LWWMap)).value).toEqual(new Map([['lang', 'fr']]));
    expect(await valuesSentTo(watcher, alice, doc)).not.toContain('de');
  });

  it('what the types allow: removing another user’s set element, overwriting their register', async () => {
    const alice = await connect(url, 'alice');
    const bob = await connect(url, 'bob');
    await alice.subscribe('labels', AWSet);
    await alice.write('labels', (s, me) => AWSet.add(s, me, 'urgent'));
    await bob.subscribe('labels', AWSet);
    await bob.write('labels', (s, me) => AWSet.remove(s, me, 'urgent'));
    expect((await relayState(url, 'labels', AWSet)).value).toEqual(new Set());

    await alice.subscribe('status', LWWRegister);
    const aliceClock = new HybridLogicalClock({ replica: alice.replica });
    await alice.write('status', (s) => LWWRegister.set(s, aliceClock, 'open'));
    await bob.subscribe('status', LWWRegister);
    const bobClock = new HybridLogicalClock({ replica: bob.replica });
    await bob.write('status', (s) => LWWRegister.set(s, bobClock, 'closed'));
    expect((await relayState(url, 'status', LWWRegister)).value).toBe('closed');
  });
});

describe('a hostile writer across three peered regions', () => {
  const REGIONS = ['us-east-1', 'eu-west-1', 'sa-east-1'] as const;
  type Region = (typeof REGIONS)[number];

  /** Three relay processes in a full mesh, each pulling each peer's feed through its own proxy. */
  async function startMesh() {
    const { ports, links: proxies } = await meshLinks(REGIONS, (proxy) => open.push(proxy));
    const urls = new Map<Region, string>();
    await Promise.all(
      REGIONS.map(async (region) => {
        const peers = REGIONS.filter((r) => r !== region).flatMap((r) => [
          '--peer',
          `${r}=${proxies.get(`${region}->${r}`)!.url}`,
        ]);
        const relay = await startRelay(
          region,
          [...peers, '--peer-token', PEER_TOKEN],
          ports.get(region)!,
        );
        urls.set(region, relay.url);
      }),
    );
    // Every link up before the test slows one of them.
    const deadline = Date.now() + 20_000;
    for (const region of REGIONS) {
      for (;;) {
        const health = (await (await fetch(`${urls.get(region)}/healthz`)).json()) as {
          peers: { connected: boolean }[];
        };
        if (health.peers.length === 2 && health.peers.every((p) => p.connected)) break;
        if (Date.now() > deadline) throw new Error(`${region}'s peer links did not come up`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    return { urls, proxies };
  }

  it('three regions, one slow link: a re-sent seen dot with other content is refused and every region ends byte-identical', async () => {
    const { urls, proxies } = await startMesh();
    // us-east-1's feed reaches sa-east-1 late: there, a forged copy of a dot first made in
    // us-east-1 would arrive from eu-west-1 before the genuine one, and stay for good.
    proxies.get('sa-east-1->us-east-1')!.delayDownstream(1_500);
    const doc = 'gift-note';

    const alice = await subscribed(urls.get('us-east-1')!, 'alice', doc, LWWMap);
    const clock = new HybridLogicalClock({ replica: alice.replica });
    await alice.write(doc, (s) => LWWMap.set(s, clock, 'note', 'genuine'));
    const bob = await subscribed(urls.get('eu-west-1')!, 'bob', doc, LWWMap);
    await eventually(
      () => (bob.value(doc) as Map<string, unknown>).get('note') === 'genuine',
      'eu-west-1 has alice’s note',
    );

    const seen = (bob.docs.get(doc)!.state.store as DotMap<DotFun<LwwEntry>>).entries.get('note')!;
    const rewrite = LWWMap.encode({
      context: ctx([alice.replica, 1]),
      store: dotMap([['note', [{ ...seen[0]!, value: { ...seen[0]!.value, value: 'forged' } }]]]),
    });
    await expectRefused(bob, doc, rewrite, 'foreign-dot');

    // Alice hears that her note is durable in every region, sa-east-1 included (slow link).
    await alice.waitFor(
      (m: Message): m is Message => m.kind === 'replicated' && m.dots.has(alice.replica, 1),
      20_000,
    );
    // Then every region holds the same bytes: the genuine note, nothing forged.
    let states: { region: Region; bytes: string; value: unknown }[] = [];
    const deadline = Date.now() + 10_000;
    for (;;) {
      states = await Promise.all(
        REGIONS.map(async (region) => {
          const { bytes, value } = await relayState(urls.get(region)!, doc, LWWMap);
          return { region, bytes: Buffer.from(bytes).toString('hex'), value };
        }),
      );
      if (states.every((s) => s.bytes === states[0]!.bytes) || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    for (const s of states) {
      expect({ region: s.region, value: s.value }).toEqual({
        region: s.region,
        value: new Map([['note', 'genuine']]),
      });
      expect({ region: s.region, bytes: s.bytes }).toEqual({
        region: s.region,
        bytes: states[0]!.bytes,
      });
    }
  });
});

describe('a flooding writer against a real relay process', () => {
  let url: string;
  beforeAll(async () => {
    const relay = await startRelay('us-west-2', [
      '--limit',
      'maxMessagesPerSecond=50',
      '--limit',
      'overBudgetCloseMs=1000',
      '--limit',
      'maxConnectionsPerUser=3',
    ]);
    url = relay.url;
  });

  it('a connection flooding frames of any kind is slowed down, then closed with rate-limited; another user is served meanwhile', async () => {
    const calm = await subscribed(url, 'alice', 'likes', GCounter);
    const flooder = await connect(url, 'mallory');
    const closed = new Promise<void>((r) => flooder.socket.once('disconnect', () => r()));
    let open = true;
    void closed.then(() => {
      open = false;
    });
    const deadline = Date.now() + 15_000;
    let sent = 0;
    while (open && Date.now() < deadline) {
      for (let i = 0; i < 50; i++, sent++) {
        // Protocol frames, text events and non-binary payloads all count.
        if (i % 3 === 0) flooder.send({ kind: 'unsubscribe', docs: ['x'] });
        else if (i % 3 === 1) flooder.socket.emit('chat', 'spam');
        else flooder.socket.emit('h', 'not binary');
      }
      if (sent === 300) await calm.write('likes', (s, me) => GCounter.increment(s, me));
      await new Promise((r) => setTimeout(r, 2));
    }
    expect(open).toBe(false);
    expect(calm.value('likes')).toBe(1);
    const refusals = flooder.errors.filter((e) => e.code === 'rate-limited');
    expect(refusals.at(-1)?.message).toMatch(/closing/);
    // Thousands of bad frames, and the answers to them stay few: at most 10 a second.
    expect(flooder.errors.length).toBeLessThan(40);
  });

  it('one user cannot open more than maxConnectionsPerUser connections (too-many-connections)', async () => {
    for (let i = 0; i < 3; i++) await connect(url, 'trudy');
    await expect(connect(url, 'trudy')).rejects.toMatchObject({
      data: { code: 'too-many-connections' },
    });
    await connect(url, 'victor'); // others are not affected
  });
});
