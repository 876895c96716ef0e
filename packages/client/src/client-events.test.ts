import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import type { HeliosClient } from './client.js';
import {
  type ClientEvent,
  ClientEventLog,
  type ConflictEvent,
  type ConnectionEvent,
  type WriteEvent,
} from './client-events.js';
import { MemoryWorld } from './test-support/memory-world.js';

/**
 * `client.events`: each write's trail, the connection's history, conflicts seen on merge and the
 * outbox's size, as typed events, on in-memory relays and a manual clock.
 */
let world = new MemoryWorld();
afterEach(async () => {
  await world.close();
  world = new MemoryWorld();
});

const writes = (client: HeliosClient): WriteEvent[] =>
  client.events.history().filter((e): e is WriteEvent => e.type === 'write');
const connections = (client: HeliosClient) =>
  client.events
    .history()
    .filter((e): e is ConnectionEvent => e.type === 'connection')
    .map((e) => [e.state, e.url, e.region]);
const conflicts = (client: HeliosClient): ConflictEvent[] =>
  client.events.history().filter((e): e is ConflictEvent => e.type === 'conflict');

describe('the write trail', () => {
  it('goes pending → local → relay (home region) → each peer region → global, by the dot', async () => {
    const { url } = world.relay('us', { peerRegions: ['eu', 'ap'] });
    const client = world.client([url], { regionTrail: true });
    const heard: ClientEvent[] = [];
    client.events.subscribe((e) => heard.push(e));
    const receipt = client.counter('likes').increment();
    await world.reach(receipt, 'global');
    const trail = writes(client);
    expect(trail.map((e) => [e.stage, e.region])).toEqual([
      ['pending', undefined],
      ['local', undefined],
      ['relay', 'us'],
      ['region', 'eu'],
      ['region', 'ap'],
      ['global', undefined],
    ]);
    // The receipt of a write made before start-up has no dot; the trail carries the applied one's.
    const [{ replica, seq }] = trail as [WriteEvent];
    expect(replica).toBe(client.replica);
    for (const e of trail) expect(e).toMatchObject({ doc: 'likes', replica, seq });
    expect(trail.map((e) => e.at)).toEqual([...trail.map((e) => e.at)].sort((a, b) => a - b));
    // The listener heard what the history kept, in the same order.
    expect(heard.filter((e) => e.type === 'write')).toEqual(trail);
    const outbox = client.events.history().filter((e) => e.type === 'outbox');
    expect(outbox.map((e) => (e.type === 'outbox' ? e.pending : -1))).toEqual([0, 1, 0]); // restored (none), the write, its ack
  });

  it("has no 'region' steps unless the client asked for them (regionTrail)", async () => {
    const { url } = world.relay('us', { peerRegions: ['eu', 'ap'] });
    const client = world.client([url]);
    await world.reach(client.counter('likes').increment(), 'global');
    expect(writes(client).map((e) => e.stage)).toEqual(['pending', 'local', 'relay', 'global']);
  });

  it('ends in failed with the relay code when the relay refuses the write for good', async () => {
    const relay = world.relay('us');
    relay.refuse = () => 'forbidden';
    const client = world.client([relay.url]);
    const receipt = client.counter('likes').increment();
    await world.clock.until(() => receipt.error !== undefined, 'the refusal');
    const last = writes(client).at(-1)!;
    expect(last.stage).toBe('failed');
    expect(last.error).toEqual({ code: 'forbidden', message: expect.stringMatching(/forbidden/) });
  });

  it('is one trail for a write made while its document loads', async () => {
    const { url } = world.relay('us');
    const client = world.client([url]);
    const receipt = client.counter('early').increment(); // storage not open yet
    await world.reach(receipt, 'global');
    const stages = writes(client).map((e) => e.stage);
    expect(stages).toEqual(['pending', 'local', 'relay', 'global']);
  });
});

describe('connection history', () => {
  it('tells connecting, online with the region, failover with the relay left, and offline', async () => {
    const client = world.client(['memory://nowhere', 'memory://eu']);
    world.relay('eu');
    await world.clock.until(() => client.status.connection === 'online', 'online');
    client.setOnline(false);
    expect(connections(client)).toEqual([
      ['connecting', 'memory://nowhere', undefined],
      ['failover', 'memory://eu', undefined],
      ['online', 'memory://eu', 'eu'],
      ['offline', 'memory://eu', undefined],
    ]);
    const failover = client.events
      .history()
      .find((e) => e.type === 'connection' && e.state === 'failover');
    expect(failover).toMatchObject({ reason: 'from memory://nowhere' });
  });

  it('tells a refusal with its code and message', async () => {
    const { url } = world.relay('us', {
      authenticate: () => {
        throw Object.assign(new Error('who are you'), { code: 'unauthenticated' });
      },
    });
    const client = world.client([url]);
    await world.clock.until(() => client.status.lastError !== null, 'the refusal');
    expect(client.events.history()).toContainEqual(
      expect.objectContaining({
        type: 'connection',
        state: 'refused',
        url,
        reason: 'unauthenticated: who are you',
      }),
    );
  });
});

describe('conflicts seen on merge', () => {
  /** Two clients of one relay; `a` writes offline, `b` online, then `a` comes back. */
  async function race(write: (client: HeliosClient) => unknown): Promise<HeliosClient> {
    const { url } = world.relay('us');
    const a = world.client([url], { offline: true });
    const b = world.client([url]);
    await a.ready;
    await write(a);
    await a.flush('local');
    await world.clock.advance(1_000); // b writes later: its timestamp wins
    await write(b);
    await b.flush('relay');
    a.setOnline(true);
    await a.flush('relay');
    await world.clock.until(() => conflicts(a).length > 0, 'a conflict is seen');
    return a;
  }

  it('names the LWW winner and loser with their timestamps and replicas', async () => {
    const a = await race((c) => c.register<string>('title').set(c.replica ?? ''));
    const [conflict] = conflicts(a);
    expect(conflict).toMatchObject({ type: 'conflict', doc: 'title', kind: 'lww-overwrite' });
    expect(conflict!.losers).toHaveLength(1);
    expect(conflict!.losers![0]!.replica).toBe(a.replica);
    expect(conflict!.winner!.replica).not.toBe(a.replica);
    expect(conflict!.winner!.wall).toBeGreaterThan(conflict!.losers![0]!.wall);
    expect(a.register<string>('title').value).toBe(conflict!.winner!.replica);
  });

  it('counts MV siblings, under the map key for maps of registers', async () => {
    const a = await race((c) => c.mvRegister<string>('note').set(c.replica ?? ''));
    expect(conflicts(a)).toEqual([
      expect.objectContaining({ doc: 'note', kind: 'mv-siblings', siblings: 2 }),
    ]);
  });

  it('tells a remote counter change that raced a write no relay acknowledged yet', async () => {
    const a = await race((c) => c.counter('likes').increment());
    const [conflict] = conflicts(a);
    expect(conflict).toMatchObject({ doc: 'likes', kind: 'concurrent-counter' });
    expect(conflict!.replicas).toContain(a.replica);
    expect(conflict!.replicas).toHaveLength(2);
    expect(a.counter('likes').value).toBe(2); // both count
  });

  it('tells nothing for writes made on top of each other', async () => {
    const { url } = world.relay('us');
    const a = world.client([url]);
    const b = world.client([url]);
    a.register<number>('n').set(1);
    await a.flush('relay');
    await world.clock.until(() => b.register<number>('n').value === 1, 'b has it');
    b.register<number>('n').set(2);
    await b.flush('relay');
    await world.clock.until(() => a.register<number>('n').value === 2, 'a has it');
    expect(conflicts(a)).toEqual([]);
  });
});

describe('inspect', () => {
  it('shows every open document with its type, JSON value and causal context', async () => {
    const client = world.client(['memory://us'], { offline: true });
    await client.ready;
    client.counter('likes').increment(3);
    client.lwwMap<string>('prefs').set('theme', 'dark');
    await client.flush();
    const replica = client.replica!;
    expect(client.inspect()).toEqual([
      { id: 'likes', type: 'pn-counter', value: 3, context: [{ replica, ranges: [[1, 1]] }] },
      {
        id: 'prefs',
        type: 'lww-map',
        value: { theme: 'dark' },
        context: [{ replica, ranges: [[1, 1]] }],
      },
    ]);
  });
});

describe('ClientEventLog', () => {
  const outbox = (pending: number): ClientEvent => ({ type: 'outbox', pending, at: pending });

  it('keeps the last events, oldest first, listened to or not', () => {
    const log = new ClientEventLog(3);
    expect(log.history()).toEqual([]);
    for (let i = 1; i <= 2; i++) log.emit(outbox(i));
    expect(log.history()).toEqual([outbox(1), outbox(2)]);
    for (let i = 3; i <= 7; i++) log.emit(outbox(i));
    expect(log.history()).toEqual([outbox(5), outbox(6), outbox(7)]);
  });

  it('stops a listener it was told to, and survives a listener that throws', () => {
    const log = new ClientEventLog();
    const heard: number[] = [];
    log.subscribe(() => {
      throw new Error('a devtools bug');
    });
    const stop = log.subscribe((e) => heard.push(e.at));
    log.emit(outbox(1));
    stop();
    log.emit(outbox(2));
    expect(heard).toEqual([1]);
    expect(log.history()).toHaveLength(2);
  });
});
