import { AWSet, GCounter } from '@helios/core';
import type { Message } from '@helios/core/protocol';
import { freePort } from '@helios/test-kit';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { RelayOptions } from './options.js';
import { createRelay, type Relay } from './relay.js';
import { StoreClosedError } from './store/errors.js';
import { MemoryStore } from './store/memory-store.js';
import { meshLinks } from './test-support/mesh-links.js';
import { PEER_TRANSPORTS, type PeerTransportName } from './test-support/peer-transports.js';
import { eventually, ProtocolClient } from './test-support/protocol-client.js';

const open: { close(): unknown }[] = [];
afterEach(async () => {
  for (const c of open.splice(0).reverse()) await c.close();
});

const REGIONS = ['us-east-1', 'eu-west-1', 'sa-east-1'] as const;
type Region = (typeof REGIONS)[number];

/** Three relays, each pulling the others' feeds through its own proxy per link. */
async function startMesh(
  peerTransport: PeerTransportName,
  latencyMs = 0,
  limits?: RelayOptions['limits'],
) {
  // Peers are fixed at creation, so proxies are created first, pointed at ports picked up front.
  const { ports, links: proxies } = await meshLinks(
    REGIONS,
    (proxy) => open.push(proxy),
    peerTransport,
  );
  const relays = new Map<Region, { relay: Relay; url: string }>();
  for (const region of REGIONS) {
    const relay = createRelay({
      region,
      store: new MemoryStore({ region }),
      anonymous: true,
      logger: pino({ level: 'silent' }),
      peerTransport,
      ...(limits !== undefined ? { limits } : {}),
      peers: REGIONS.filter((r) => r !== region).map((r) => ({
        region: r,
        url: proxies.get(`${region}->${r}`)!.url,
        latencyMs,
      })),
    });
    open.push(relay);
    const { url } = await relay.listen(ports.get(region)!);
    relays.set(region, { relay, url });
  }
  /** Cuts (or heals) every link to and from `region`. */
  const partition = (region: Region, cut: boolean) => {
    for (const [key, proxy] of proxies) {
      if (key.startsWith(`${region}->`) || key.endsWith(`->${region}`)) {
        if (cut) proxy.cut();
        else proxy.heal();
      }
    }
  };
  /**
   * Over QUIC, checks that no link fell back to WebSocket: its TCP proxy never saw a connection.
   * (Over WebSocket there is nothing to check: a link of a region the test does not use may
   * not have connected yet.)
   */
  const expectNoFallback = () => {
    if (peerTransport !== 'quic') return;
    for (const [key, proxy] of proxies) expect(proxy.connections, key).toBe(0);
  };
  return { relays, partition, expectNoFallback };
}

async function clientOf(url: string, regionTrail = false): Promise<ProtocolClient> {
  const c = new ProtocolClient(url, { regionTrail });
  open.push(c);
  await c.ready();
  return c;
}

describe.each(PEER_TRANSPORTS)('relay peering over %s', (peerTransport) => {
  it('sends a feed that built up while a link was down in batches the peer can decode', async () => {
    // Small messages: 60 writes of ~150 bytes are far more than one message.
    const { relays, partition, expectNoFallback } = await startMesh(peerTransport, 0, {
      maxMessageBytes: 4096,
    });
    partition('us-east-1', true);
    const writer = await clientOf(relays.get('us-east-1')!.url);
    await writer.subscribe('tags', AWSet);
    const items = Array.from(
      { length: 60 },
      (_, i) => `${String(i).padStart(3, '0')}${'x'.repeat(120)}`,
    );
    for (const item of items) await writer.write('tags', (s, me) => AWSet.add(s, me, item));
    const reader = await clientOf(relays.get('eu-west-1')!.url);
    await reader.subscribe('tags', AWSet);
    partition('us-east-1', false);
    await eventually(
      () => (reader.value('tags') as Set<string>).size === items.length,
      'eu-west-1 has every write',
    );
    expectNoFallback();
  });

  it('a cursor the store fails to read is read again', async () => {
    // us-east-1's store fails its first cursor reads, as a database whose connection dropped.
    let failures = 2;
    class FlakyStore extends MemoryStore {
      override async getCursor(peer: string): Promise<number> {
        if (failures > 0) {
          failures--;
          throw new Error('connection to the database lost');
        }
        return super.getCursor(peer);
      }
    }
    const [east, west] = await Promise.all([freePort(), freePort()]);
    const relayOf = (region: Region, port: number, peer: Region, peerPort: number) => {
      const relay = createRelay({
        region,
        store: region === 'us-east-1' ? new FlakyStore({ region }) : new MemoryStore({ region }),
        anonymous: true,
        logger: pino({ level: 'silent' }),
        peerTransport,
        peers: [{ region: peer, url: `http://127.0.0.1:${peerPort}` }],
      });
      open.push(relay);
      return relay.listen(port);
    };
    const { url: eastUrl } = await relayOf('us-east-1', east, 'eu-west-1', west);
    const { url: westUrl } = await relayOf('eu-west-1', west, 'us-east-1', east);
    const writer = await clientOf(westUrl);
    await writer.subscribe('views', GCounter);
    await writer.write('views', (s, me) => GCounter.increment(s, me, 4));
    const reader = await clientOf(eastUrl);
    await reader.subscribe('views', GCounter);
    await eventually(() => reader.value('views') === 4, 'us-east-1 has the write');
    expect(failures).toBe(0);
  });

  it('a relay closed while a link reads its cursor leaves no failure behind', async () => {
    // The cursor read is answered only after the relay closed, with the store's closed error:
    // the link must drop it (an unhandled rejection fails this test run).
    let called!: () => void;
    const reading = new Promise<void>((r) => {
      called = r;
    });
    let fail!: (err: Error) => void;
    class SlowStore extends MemoryStore {
      override getCursor(): Promise<number> {
        called();
        return new Promise((_, reject) => {
          fail = reject;
        });
      }
    }
    const peer = createRelay({
      region: 'eu-west-1',
      store: new MemoryStore({ region: 'eu-west-1' }),
      anonymous: true,
      logger: pino({ level: 'silent' }),
    });
    open.push(peer);
    const { url } = await peer.listen(0);
    const errors: unknown[] = [];
    const logger = pino({ level: 'error' }, { write: (line: string) => errors.push(line) });
    const relay = createRelay({
      region: 'us-east-1',
      store: new SlowStore({ region: 'us-east-1' }),
      anonymous: true,
      logger,
      peerTransport,
      peers: [{ region: 'eu-west-1', url }],
    });
    await relay.listen(0);
    await reading;
    await relay.close();
    fail(new StoreClosedError('SlowStore'));
    await new Promise((r) => setTimeout(r, 50));
    expect(errors).toEqual([]);
  });

  it('replicates a write to every region and reports it replicated everywhere', async () => {
    const { relays } = await startMesh(peerTransport, 5);
    const writer = await clientOf(relays.get('us-east-1')!.url);
    const readers = await Promise.all(
      (['eu-west-1', 'sa-east-1'] as const).map((r) => clientOf(relays.get(r)!.url)),
    );
    await writer.subscribe('views', GCounter);
    for (const r of readers) await r.subscribe('views', GCounter);
    await writer.write('views', (s, me) => GCounter.increment(s, me, 3));
    await eventually(() => readers.every((r) => r.value('views') === 3), 'readers see 3');
    const replicated = await writer.waitFor(
      (m): m is Extract<Message, { kind: 'replicated' }> => m.kind === 'replicated',
    );
    expect(replicated.dots.has(writer.replica, 1)).toBe(true);
  });

  it('tells the writer each peer region that has its write, before every region has it', async () => {
    const { relays, partition, expectNoFallback } = await startMesh(peerTransport, 5);
    const writer = await clientOf(relays.get('us-east-1')!.url, true);
    const quiet = await clientOf(relays.get('us-east-1')!.url); // did not ask for the trail
    const reader = await clientOf(relays.get('eu-west-1')!.url, true);
    for (const c of [writer, quiet, reader]) await c.subscribe('views', GCounter);
    partition('sa-east-1', true);
    await writer.write('views', (s, me) => GCounter.increment(s, me, 1));
    await quiet.write('views', (s, me) => GCounter.increment(s, me, 1));
    type RegionReplicated = Extract<Message, { kind: 'region-replicated' }>;
    const isRegion = (m: Message): m is RegionReplicated => m.kind === 'region-replicated';
    const eu = await writer.waitFor(isRegion);
    expect(eu.region).toBe('eu-west-1');
    expect(eu.dots.has(writer.replica, 1)).toBe(true);
    // sa-east-1 is cut off: no notice for it, and none for every region.
    await new Promise((r) => setTimeout(r, 100));
    expect(writer.received.filter(isRegion).map((m) => m.region)).toEqual(['eu-west-1']);
    expect(writer.received.some((m) => m.kind === 'replicated')).toBe(false);
    // The reader wrote nothing: it hears no one's trail.
    expect(reader.received.some(isRegion)).toBe(false);
    partition('sa-east-1', false);
    await writer.waitFor((m): m is Message => m.kind === 'replicated', 20_000);
    const regions = writer.received.filter(isRegion).map((m) => m.region);
    expect(regions).toEqual(['eu-west-1', 'sa-east-1']);
    await quiet.waitFor((m): m is Message => m.kind === 'replicated', 20_000);
    expect(quiet.received.some(isRegion)).toBe(false);
    const kinds = writer.received.map((m) => m.kind).filter((k) => k.includes('replicated'));
    expect(kinds.at(-1)).toBe('replicated'); // the last region is told before 'global'
    expectNoFallback();
  });

  it('partition: a cut-off region keeps accepting writes; after healing all converge, no acked write lost', async () => {
    const { relays, partition, expectNoFallback } = await startMesh(peerTransport);
    const clients = new Map<Region, ProtocolClient>();
    for (const region of REGIONS) {
      const c = await clientOf(relays.get(region)!.url);
      await c.subscribe('cart', AWSet);
      await c.subscribe('hits', GCounter);
      clients.set(region, c);
    }
    const acked: string[] = [];
    let hits = 0;
    const writeRound = async (round: number) => {
      await Promise.all(
        REGIONS.map(async (region) => {
          const c = clients.get(region)!;
          const item = `${region}-${round}`;
          await c.write('cart', (s, me) => AWSet.add(s, me, item));
          acked.push(item);
          await c.write('hits', (s, me) => GCounter.increment(s, me, 1));
          hits++;
        }),
      );
    };
    for (let round = 0; round < 5; round++) await writeRound(round);
    partition('sa-east-1', true);
    for (let round = 5; round < 25; round++) await writeRound(round);
    // While cut off, sa-east-1 has not seen the other regions' new writes.
    const isolated = clients.get('sa-east-1')!;
    expect((isolated.value('cart') as Set<string>).has('us-east-1-20')).toBe(false);
    partition('sa-east-1', false);
    for (let round = 25; round < 30; round++) await writeRound(round);

    await eventually(
      () =>
        REGIONS.every((r) => (clients.get(r)!.value('cart') as Set<string>).size === acked.length),
      'every region holds every acked item',
      20_000,
    );
    // A fresh client per region reads the relays' own state, not the clients' merged copies.
    for (const region of REGIONS) {
      const fresh = await clientOf(relays.get(region)!.url);
      await fresh.subscribe('cart', AWSet);
      await fresh.subscribe('hits', GCounter);
      const items = fresh.value('cart') as Set<string>;
      const lost = acked.filter((item) => !items.has(item));
      console.log(
        `partition: ${region} holds ${items.size} items, acked writes lost: ${lost.length}`,
      );
      expect(lost).toEqual([]);
      expect(fresh.value('hits')).toBe(hits);
    }
    expectNoFallback();
  });
});
