import { GCounter, newReplicaId } from '@helios/core';
import type { Ack, ErrorEvent, Message, PushEntry } from '@helios/core/protocol';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LoopShare } from './loop-share.js';
import { createRelay } from './relay.js';
import { MemoryStore } from './store/memory-store.js';
import { eventually, ProtocolClient } from './test-support/protocol-client.js';

/**
 * Flow control of issue #11 on a relay in this process: budgets slow a client down instead of
 * refusing it, a connection that stays over budget is closed, frames of any kind count, refusals
 * of whole frames are capped, per-user caps hold at the handshake, and one connection's backlog
 * does not hold up another's write. The same against a relay process: hostile-writer.test.ts.
 */

const open: { close(): unknown }[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const c of open.splice(0).reverse()) await c.close();
});

type RelayOptions = Parameters<typeof createRelay>[0];

/** An anonymous relay of us-east-1 on a memory store, with `options` on top. */
function relayOptions(options: Partial<RelayOptions> = {}): RelayOptions {
  return {
    region: 'us-east-1',
    store: new MemoryStore({ region: 'us-east-1' }),
    anonymous: true,
    logger: pino({ level: 'silent' }),
    ...options,
  };
}

async function startRelay(options: Partial<RelayOptions> = {}) {
  const relay = createRelay(relayOptions(options));
  open.push(relay);
  return (await relay.listen(0)).url;
}

async function client(url: string, options?: ConstructorParameters<typeof ProtocolClient>[1]) {
  const c = new ProtocolClient(url, options);
  open.push(c);
  await c.ready();
  return c;
}

/** A user per token: lets tests connect as several users. */
const usersByToken = {
  authenticate: ({ token }: { token?: string | undefined }) => ({ id: token ?? 'nobody' }),
  openAccess: true,
} as const;

/**
 * Pushes `frames` frames of `perFrame` valid increments of `c`'s own counter `doc` at once;
 * resolves with the time the last one was acked.
 */
async function pushIncrements(
  c: ProtocolClient,
  doc: string,
  frames: number,
  perFrame: number,
): Promise<number> {
  const state = GCounter.empty();
  const me = { replica: c.replica };
  let id = 1_000_000;
  const ids = new Set<number>();
  for (let f = 0; f < frames; f++) {
    const entries: PushEntry[] = [];
    for (let i = 0; i < perFrame; i++) {
      const delta = GCounter.increment(state, me);
      GCounter.merge(state, delta);
      ids.add(++id);
      entries.push({ id, doc, delta: GCounter.encode(delta) });
    }
    c.send({ kind: 'push', entries });
  }
  await eventually(
    () => {
      for (const m of c.received.splice(0)) {
        if (m.kind === 'ack') for (const acked of (m as Ack).ids) ids.delete(acked);
        else if (m.kind === 'error') throw new Error(`refused: ${JSON.stringify(m)}`);
      }
      return ids.size === 0;
    },
    'every push acked',
    30_000,
  );
  return performance.now();
}

const refusals = (c: ProtocolClient, code: string) =>
  c.errors.filter((e: ErrorEvent) => e.code === code).length;

/** Sends `frame` every millisecond until the relay closes `c` (at most `ms`). */
async function floodUntilClosed(c: ProtocolClient, frame: () => void, ms: number): Promise<void> {
  const closed = new Promise<void>((r) => c.socket.once('disconnect', () => r()));
  const deadline = Date.now() + ms;
  let open = true;
  void closed.then(() => {
    open = false;
  });
  while (open && Date.now() < deadline) {
    for (let i = 0; i < 20; i++) frame();
    await new Promise((r) => setTimeout(r, 1));
  }
  if (open) throw new Error(`the relay did not close the flooding connection within ${ms} ms`);
}

describe('flow control', () => {
  it('createRelay refuses a limit that is not a positive number, naming it', () => {
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => createRelay(relayOptions({ limits: { maxBytesPerSecond: bad } }))).toThrow(
        /limits\.maxBytesPerSecond must be a positive number/,
      );
    }
    expect(() => createRelay(relayOptions({ limits: { maxDeltasPerSecond: 2.5 } }))).toThrow(
      /limits\.maxDeltasPerSecond must be a positive integer/,
    );
  });

  it('a client over its delta budget is slowed down, not refused: every push is acked', async () => {
    const url = await startRelay({ limits: { maxDeltasPerSecond: 200 } });
    const c = await client(url);
    await c.subscribe('mine', GCounter);
    const started = performance.now();
    // 1,000 entries against 200/s with a burst of 400: the last ones wait about 3 s.
    const done = await pushIncrements(c, 'mine', 5, 200);
    expect(done - started).toBeGreaterThan(2_000);
    expect(c.errors).toEqual([]);
    expect(c.socket.connected).toBe(true);
  });

  it('a connection that stays over budget is closed with rate-limited; others are served meanwhile', async () => {
    const url = await startRelay({ limits: { maxMessagesPerSecond: 20, overBudgetCloseMs: 500 } });
    const calm = await client(url);
    await calm.subscribe('n', GCounter);
    const flooder = await client(url);
    const flood = floodUntilClosed(
      flooder,
      () => flooder.send({ kind: 'unsubscribe', docs: ['x'] }),
      10_000,
    );
    await calm.write('n', (s, me) => GCounter.increment(s, me));
    await flood;
    expect(calm.value('n')).toBe(1);
    const last = flooder.errors.at(-1);
    expect(last?.code).toBe('rate-limited');
    expect(last?.message).toMatch(/closing/);
  });

  it('frames of any event and payload count against the budget', async () => {
    const url = await startRelay({ limits: { maxMessagesPerSecond: 20, overBudgetCloseMs: 500 } });
    const flooder = await client(url);
    await floodUntilClosed(flooder, () => flooder.socket.emit('chat', 'x'.repeat(100)), 10_000);
    expect(refusals(flooder, 'rate-limited')).toBe(1);
  });

  it('refusals of whole frames are answered at most 10 a second', async () => {
    const url = await startRelay();
    const c = await client(url);
    for (let i = 0; i < 100; i++) c.socket.emit('h', 'not a binary frame');
    await eventually(() => refusals(c, 'decode/bad-tag') > 0, 'a refusal');
    await new Promise((r) => setTimeout(r, 300));
    expect(refusals(c, 'decode/bad-tag')).toBeLessThanOrEqual(10);
    expect(c.socket.connected).toBe(true);
  });

  it('caps the connections of one user', async () => {
    const url = await startRelay({ ...usersByToken, limits: { maxConnectionsPerUser: 2 } });
    const first = await client(url, { token: 'alice' });
    await client(url, { token: 'alice' });
    await expect(client(url, { token: 'alice' })).rejects.toMatchObject({
      data: { code: 'too-many-connections' },
    });
    await client(url, { token: 'bob' }); // another user is not affected
    first.close();
    await eventually(() => !first.socket.connected, 'closed');
    await new Promise((r) => setTimeout(r, 100));
    await client(url, { token: 'alice' });
  });

  it('caps the new replica ids one user claims; ids it holds already are free', async () => {
    const url = await startRelay({ ...usersByToken, limits: { maxReplicaClaimsPerMinute: 3 } });
    const held = [newReplicaId(), newReplicaId(), newReplicaId()];
    (await client(url, { token: 'carol', replicas: held })).close();
    await expect(client(url, { token: 'carol', replicas: [newReplicaId()] })).rejects.toMatchObject(
      { data: { code: 'too-many-replicas' } },
    );
    await client(url, { token: 'carol', replicas: [held[0]!] });
  });

  it("a light write is not queued behind another connection's backlog", async () => {
    const url = await startRelay();
    const bulk = await client(url);
    const light = await client(url);
    await light.subscribe('light', GCounter);
    const bulkDone = pushIncrements(bulk, 'bulk', 40, 200);
    const lightAcked = light
      .write('light', (s, me) => GCounter.increment(s, me))
      .then(() => performance.now());
    expect(await lightAcked).toBeLessThan(await bulkDone);
  });

  it("a new connection's first frame of many entries waits for a bulk turn, not an ordinary client's", async () => {
    // A flooder that just connected is not a bulk writer until its first frame is decoded; that
    // frame's entries must still go in a bulk writer's turn, or twenty new flooders would each
    // take a whole turn in the ordinary clients' lane.
    const url = await startRelay();
    const c = await client(url);
    const turns = vi.spyOn(LoopShare.prototype, 'turn');
    await pushIncrements(c, 'bulk', 1, 200);
    expect(turns.mock.calls.map(([, lane]) => lane)).toContain('bulk');
  });

  it('keeps a connection reading and answering while the relay works through its backlog', async () => {
    const url = await startRelay();
    const bulk = await client(url);
    await pushIncrements(bulk, 'bulk', 60, 200);
    // 12,000 entries queued at once is over the default queue bounds: reading stopped and
    // restarted, and the connection is still there to answer.
    await bulk.subscribe('bulk', GCounter);
    expect(bulk.value('bulk')).toBe(12_000);
    expect(bulk.received.some((m: Message) => m.kind === 'error')).toBe(false);
  });
});
