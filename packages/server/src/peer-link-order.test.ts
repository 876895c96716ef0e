import { GCounter, MVRegister, newReplicaId } from '@helios/core';
import {
  decodeMessage,
  encodeMessage,
  type FeedBatch,
  type FeedEntry,
  type Message,
  type PeerAuth,
} from '@helios/core/protocol';
import type { Transport, TransportConnection, TransportEvents } from '@helios/transport';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_GAPS } from './feed-order.js';
import { MERGE_MAX_ENTRIES } from './feed-queue.js';
import { createRelay } from './relay.js';
import { MemoryStore } from './store/memory-store.js';
import { eventually, ProtocolClient } from './test-support/protocol-client.js';

const open: { close(): unknown }[] = [];
afterEach(async () => {
  for (const c of open.splice(0).reverse()) await c.close();
});

const EPOCH = 'e1';

/**
 * The peer relay `eu`, played by the test: every dial is answered with a `welcome`, then the
 * test delivers the feed batches it likes, in the order it likes, as a transport with a stream
 * per batch may. It records what the link sends, and can end the connection as a network would.
 */
class ScriptedPeer implements Transport<PeerAuth> {
  readonly fromLink: Message[] = [];
  #events: TransportEvents | undefined;
  #connection: { connected: boolean } | undefined;

  connect(_url: string, _hello: PeerAuth, events: TransportEvents): TransportConnection {
    const connection = {
      connected: true,
      send: (bytes: Uint8Array) => this.fromLink.push(decodeMessage(bytes)),
      close: () => {
        connection.connected = false;
      },
    };
    this.#events = events;
    this.#connection = connection;
    setTimeout(() => this.deliver(WELCOME), 0);
    return connection;
  }

  probe(): Promise<boolean> {
    return Promise.resolve(true);
  }

  deliver(message: Message): void {
    if (this.#connection?.connected) this.#events!.message(encodeMessage(message));
  }

  /** Ends the connection from the network's side: the link dials again. */
  drop(): void {
    this.#connection!.connected = false;
    this.#events!.closed();
  }

  get requests(): number[] {
    return this.fromLink.flatMap((m) => (m.kind === 'feed-request' ? [m.after] : []));
  }

  get acks(): number[] {
    return this.fromLink.flatMap((m) => (m.kind === 'feed-ack' ? [m.upTo] : []));
  }
}

const WELCOME: Message = {
  kind: 'welcome',
  protocol: 1,
  region: 'eu',
  relayId: 'eu-1',
  time: Date.now(),
  limits: { maxMessageBytes: 1 << 20, maxDeltasPerSecond: 5_000, maxDriftMs: 60_000 },
  epoch: EPOCH,
};

/** Relay `us` pulling `eu`'s feed from the scripted peer, and a client reading it. */
async function start(store = new MemoryStore({ region: 'us' })) {
  const peer = new ScriptedPeer();
  const relay = createRelay({
    region: 'us',
    store,
    anonymous: true,
    logger: pino({ level: 'silent' }),
    peers: [{ region: 'eu', url: 'scripted://eu' }],
    peerTransport: peer,
  });
  open.push(relay);
  const { url } = await relay.listen(0);
  const reader = new ProtocolClient(url);
  open.push(reader);
  await reader.ready();
  await reader.subscribe('views', GCounter);
  await reader.subscribe('note', MVRegister);
  await eventually(() => peer.requests.length === 1, 'the link asks for the feed');
  /** Feed entries `us` committed from `eu`, duplicates included. */
  const merged = async () => {
    const metric = relay.metrics.registry.getSingleMetric('helios_deltas_merged_total');
    const { values } = await metric!.get();
    return values.filter((v) => v.labels.origin === 'eu').reduce((n, v) => n + v.value, 0);
  };
  return { peer, reader, merged, cursor: () => store.getCursor(`eu@${EPOCH}`) };
}

const views = (seq: number, n: number): FeedEntry => ({
  seq,
  doc: 'views',
  delta: GCounter.encode(GCounter.increment(GCounter.empty(), { replica: newReplicaId() }, n)),
});
const batch = (after: number, ...entries: FeedEntry[]): FeedBatch => ({
  kind: 'feed-batch',
  after,
  entries,
});
const settle = () => new Promise((r) => setTimeout(r, 150));

/**
 * `eu`'s feed: 1, 2 | 5, 6 | 7 (3 and 4 are seqs `eu` gave to changes merged from its peers).
 * On `note`, replica B's write (5) replaces replica A's (1): it names it, so it waits for it.
 */
function feed() {
  const a = MVRegister.set(MVRegister.empty(), { replica: newReplicaId() }, 'from-a');
  const seen = MVRegister.empty();
  MVRegister.merge(seen, a);
  const b = MVRegister.set(seen, { replica: newReplicaId() }, 'from-b');
  const note = (seq: number, delta: typeof a): FeedEntry => ({
    seq,
    doc: 'note',
    delta: MVRegister.encode(delta),
  });
  return [
    batch(0, note(1, a), views(2, 1)),
    batch(2, note(5, b), views(6, 2)),
    batch(6, views(7, 4)),
  ] as const;
}

describe('a peer link receiving feed batches out of order', () => {
  it('merges them at once, but acknowledges and records only the contiguous prefix', async () => {
    const { peer, reader, merged, cursor } = await start();
    const [first, second, third] = feed();
    peer.deliver(third);
    peer.deliver(second);
    peer.deliver(third); // a duplicate
    await eventually(() => reader.value('views') === 6, 'the batches past the gap are merged');
    await settle();
    expect(reader.value('note')).toEqual([]); // B's write waits for A's, in the missing batch
    expect(peer.acks).toEqual([]);
    expect(await cursor()).toBe(0);

    peer.deliver(first);
    await eventually(() => reader.value('views') === 7, 'the missing batch is merged');
    await eventually(() => reader.value('note')?.[0] === 'from-b', 'the held write follows');
    await eventually(() => peer.acks.at(-1) === 7, 'the whole feed is acknowledged');
    // A's entry came behind B's held one of the same document: both went on the next check.
    expect(peer.acks).toEqual([7]);
    expect(await cursor()).toBe(7);
    expect(reader.value('note')).toEqual(['from-b']);
    expect(await merged()).toBe(5); // every entry once: the duplicate was skipped
  });

  it('asks again from the end of the contiguous prefix after the connection ends', async () => {
    const { peer, reader, cursor } = await start();
    const [first, second, third] = feed();
    peer.deliver(first);
    peer.deliver(third);
    await eventually(() => reader.value('views') === 5, 'the first and last batches are merged');
    await eventually(() => peer.acks.at(-1) === 2, 'the prefix is acknowledged');
    await settle();
    expect(peer.acks).toEqual([2]);
    expect(await cursor()).toBe(2);

    peer.drop(); // the second batch never came on this connection
    await eventually(() => peer.requests.length === 2, 'the link dials again and asks');
    expect(peer.requests).toEqual([0, 2]);
    peer.deliver(second);
    peer.deliver(third);
    await eventually(() => peer.acks.at(-1) === 7, 'the feed is acknowledged to its end');
    expect(await cursor()).toBe(7);
    expect(reader.value('views')).toBe(7); // the third batch, merged twice, counts once
    await eventually(() => reader.value('note')?.[0] === 'from-b', 'the note converges');
  });

  it('asks again from its cursor rather than keep more than MAX_GAPS ranges past a gap', async () => {
    const { peer, cursor } = await start();
    // Batches (2k, 2k + 1] for k = 1, 2, …: every other batch missing, each leaves a gap.
    for (let k = 1; k <= MAX_GAPS + 1; k++) peer.deliver(batch(2 * k, views(2 * k + 1, 1)));
    await eventually(() => peer.requests.length === 2, 'the link gives up and asks again');
    expect(peer.requests).toEqual([0, 0]);
    expect(peer.acks).toEqual([]);
    expect(await cursor()).toBe(0);
    // The feed, sent again in order from there, is taken as usual.
    peer.deliver(batch(0, views(1, 1), views(2, 1)));
    await eventually(() => peer.acks.at(-1) === 2, 'acknowledged');
  });
});

/** A store whose commits wait while {@link hold} is set: a slow disk, or a busy commit queue. */
class SlowStore extends MemoryStore {
  hold: Promise<void> | undefined;
  commits = 0;

  override async commit(batch: Parameters<MemoryStore['commit']>[0]): Promise<number[]> {
    this.commits++;
    await this.hold;
    return super.commit(batch);
  }
}

describe('a peer link whose commits are slower than the peer sends batches', () => {
  it('merges the batches queued behind a commit in one commit', async () => {
    const store = new SlowStore({ region: 'us' });
    const { peer, reader, cursor } = await start(store);
    let open = () => {};
    store.hold = new Promise((resolve) => {
      open = resolve;
    });
    peer.deliver(batch(0, views(1, 1)));
    await eventually(() => store.commits === 1, 'the first batch is committing');
    for (let seq = 2; seq <= 5; seq++) peer.deliver(batch(seq - 1, views(seq, 1)));
    await settle();
    store.hold = undefined;
    open();
    await eventually(() => peer.acks.at(-1) === 5, 'the whole feed is acknowledged');
    // One commit for the first batch, one for the four that came while it was committing.
    expect(peer.acks).toEqual([1, 5]);
    expect(store.commits).toBe(2);
    expect(await cursor()).toBe(5);
    await eventually(() => reader.value('views') === 5, 'every entry is merged');
  });

  it('keeps each merge within MERGE_MAX_ENTRIES', async () => {
    const store = new SlowStore({ region: 'us' });
    const { peer, reader } = await start(store);
    let open = () => {};
    store.hold = new Promise((resolve) => {
      open = resolve;
    });
    peer.deliver(batch(0, views(1, 1)));
    await eventually(() => store.commits === 1, 'the first batch is committing');
    // Two batches of MERGE_MAX_ENTRIES − 1 entries: together they would exceed it.
    const size = MERGE_MAX_ENTRIES - 1;
    const entries = (from: number) => Array.from({ length: size }, (_, i) => views(from + i, 1));
    peer.deliver(batch(1, ...entries(2)));
    peer.deliver(batch(1 + size, ...entries(2 + size)));
    await settle();
    store.hold = undefined;
    open();
    await eventually(() => reader.value('views') === 1 + 2 * size, 'every entry is merged');
    expect(peer.acks).toEqual([1, 1 + size, 1 + 2 * size]);
  });
});
