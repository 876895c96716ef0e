import { AWSet, MVRegister, newReplicaId, PNCounter } from '@helios/core';
import type { Ack, ErrorEvent } from '@helios/core/protocol';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createRelay, type Relay } from './relay.js';
import { MemoryStore } from './store/memory-store.js';
import type { CommitBatch } from './store/relay-store.js';
import { eventually, ProtocolClient } from './test-support/protocol-client.js';

/**
 * The entries of one push slice commit as one unit (SliceCommits): what each entry gets back
 * must not change with it. Good entries are acked in one `ack` once durable, a bad one is
 * refused alone, a replay behind a new write in the same push waits for that write's commit,
 * and a failed commit refuses every entry it held and leaves nothing of them in memory.
 */
const open: { close(): unknown }[] = [];
afterEach(async () => {
  for (const c of open.splice(0).reverse()) await c.close();
});

/** A memory store whose next commits fail while `failing` is set. */
class FlakyStore extends MemoryStore {
  failing = false;
  commits = 0;

  override async commit(batch: CommitBatch): Promise<number[]> {
    if (batch.changes.length > 0) this.commits++;
    if (this.failing) throw new Error('disk full');
    return super.commit(batch);
  }
}

async function start(store = new FlakyStore({ region: 'us-east-1' })) {
  const relay: Relay = createRelay({
    region: 'us-east-1',
    store,
    anonymous: true,
    logger: pino({ level: 'silent' }),
  });
  open.push(relay);
  const { url } = await relay.listen();
  const client = new ProtocolClient(url);
  open.push(client);
  await client.ready();
  return { store, client, url };
}

const isAck = (m: { kind: string }): m is Ack => m.kind === 'ack';

describe('a push slice commits as one unit', () => {
  it('acks good entries together, refuses a bad one alone, and a replay waits for the write it repeats', async () => {
    const { store, client, url } = await start();
    await client.subscribe('items', AWSet);
    await client.subscribe('note', MVRegister);
    const me = { replica: client.replica };
    const a = AWSet.add(AWSet.empty(), me, 'a');
    // `b` mints the next dot: a delta of its own, as a client's second write.
    const b = AWSet.add(a, me, 'b');
    const note = MVRegister.set(MVRegister.empty(), me, 'first');
    const forged = MVRegister.encode(MVRegister.set(MVRegister.empty(), me, 'forged'));
    const commitsBefore = store.commits;
    client.send({
      kind: 'push',
      entries: [
        { id: 1, doc: 'items', delta: AWSet.encode(a) },
        { id: 2, doc: 'note', delta: MVRegister.encode(note) },
        // The same dot as entry 2 with other content: refused, the others are not.
        { id: 3, doc: 'note', delta: forged },
        // A replay of entry 1, in the same slice: acked only once entry 1 is durable.
        { id: 4, doc: 'items', delta: AWSet.encode(a) },
        { id: 5, doc: 'items', delta: AWSet.encode(b) },
      ],
    });
    const refused = await client.waitFor(
      (m): m is ErrorEvent => m.kind === 'error' && m.push === 3,
    );
    expect(refused.code).toBe('dot-conflict');
    await eventually(
      () => client.received.filter(isAck).flatMap((m) => m.ids).length === 4,
      'entries 1, 2, 4 and 5 acked',
    );
    expect(client.received.filter(isAck).flatMap((m) => m.ids)).toEqual([1, 2, 4, 5]);
    // Entries 1 and 2, then 5 after the replay: two units, not four.
    expect(store.commits - commitsBefore).toBe(2);
    // What they wrote is in the store, and another client is served it.
    expect((await store.load('items'))?.changes.length).toBe(2);
    const reader = new ProtocolClient(url);
    open.push(reader);
    await reader.ready();
    await reader.subscribe('items', AWSet);
    await reader.subscribe('note', MVRegister);
    expect(reader.value('items')).toEqual(new Set(['a', 'b']));
    expect(reader.value('note')).toEqual(['first']);
  });

  it('a failed commit refuses every entry of the slice, and memory keeps none of them', async () => {
    const { store, client, url } = await start();
    await client.subscribe('items', AWSet);
    const me = { replica: client.replica };
    store.failing = true;
    const first = AWSet.add(AWSet.empty(), me, 'x');
    const second = AWSet.add(first, me, 'y');
    client.send({
      kind: 'push',
      entries: [
        { id: 1, doc: 'items', delta: AWSet.encode(first) },
        { id: 2, doc: 'items', delta: AWSet.encode(second) },
      ],
    });
    await eventually(
      () => client.errors.filter((e) => e.code === 'unavailable').length === 2,
      'both entries refused as unavailable',
    );
    expect(client.errors.map((e) => e.push).sort()).toEqual([1, 2]);
    expect(client.received.filter(isAck)).toEqual([]);
    // The document was dropped from memory: a retry of the same dots is a new write, not a replay.
    store.failing = false;
    await client.pushBytes('items', AWSet.encode(first));
    await client.pushBytes('items', AWSet.encode(second));
    const fresh = new ProtocolClient(url);
    open.push(fresh);
    await fresh.ready();
    await fresh.subscribe('items', AWSet);
    expect(fresh.value('items')).toEqual(new Set(['x', 'y']));
  });

  it("one writer's deltas to a document are stored, fanned out and reloaded as one joined change", async () => {
    const { store, client, url } = await start();
    const reader = new ProtocolClient(url);
    open.push(reader);
    await reader.ready();
    await reader.subscribe('clicks', PNCounter);
    await client.subscribe('clicks', PNCounter);
    await client.subscribe('items', AWSet);
    const me = { replica: client.replica };
    const clicks = PNCounter.empty();
    const items = AWSet.empty();
    const entries = [];
    for (let i = 0; i < 8; i++) {
      const delta = PNCounter.increment(clicks, me, 1);
      PNCounter.merge(clicks, delta);
      entries.push({ id: 2 * i + 1, doc: 'clicks', delta: PNCounter.encode(delta) });
      const add = AWSet.add(items, me, `i${i}`);
      AWSet.merge(items, add);
      entries.push({ id: 2 * i + 2, doc: 'items', delta: AWSet.encode(add) });
    }
    client.send({ kind: 'push', entries });
    await eventually(
      () => client.received.filter(isAck).flatMap((m) => m.ids).length === 16,
      'all 16 entries acked',
    );
    // One row per document, not one per delta, and it holds every write.
    expect((await store.load('clicks'))?.changes.length).toBe(1);
    expect((await store.load('items'))?.changes.length).toBe(1);
    await eventually(() => reader.value('clicks') === 8, 'the reader sees 8 clicks');
    // A relay started on the same store loads the joined rows.
    const again = createRelay({
      region: 'us-east-1',
      store,
      anonymous: true,
      logger: pino({ level: 'silent' }),
    });
    open.push(again);
    const other = new ProtocolClient((await again.listen()).url);
    open.push(other);
    await other.ready();
    await other.subscribe('clicks', PNCounter);
    await other.subscribe('items', AWSet);
    expect(other.value('clicks')).toBe(8);
    expect(other.value('items')).toEqual(new Set(Array.from({ length: 8 }, (_, i) => `i${i}`)));
  });

  it('a connection writing as several replicas keeps one change per delta', async () => {
    const store = new FlakyStore({ region: 'us-east-1' });
    const { url } = await start(store);
    const [a, b] = [newReplicaId(), newReplicaId()];
    const client = new ProtocolClient(url, { replicas: [a, b] });
    open.push(client);
    await client.ready();
    await client.subscribe('clicks', PNCounter);
    const state = PNCounter.empty();
    const entries = [a, b, a].map((replica, i) => {
      const delta = PNCounter.increment(state, { replica }, 1);
      PNCounter.merge(state, delta);
      return { id: i + 1, doc: 'clicks', delta: PNCounter.encode(delta) };
    });
    client.send({ kind: 'push', entries });
    await eventually(
      () => client.received.filter(isAck).flatMap((m) => m.ids).length === 3,
      'all 3 entries acked',
    );
    expect((await store.load('clicks'))?.changes.length).toBe(3);
  });
});
