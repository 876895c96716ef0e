import { join } from 'node:path';
import {
  decodeMessage,
  encodeMessage,
  GCounter,
  type Message,
  newReplicaId,
  type ReplicaId,
} from '@helios/core';
import { SignJWT } from 'jose';
import { pino } from 'pino';
import type { Socket } from 'socket.io-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRelay, type Relay } from './relay.js';
import { MemoryStore } from './store/memory-store.js';
import { eventually, ProtocolClient } from './test-support/protocol-client.js';
import { RelayProcess } from './test-support/relay-process.js';
import { tempDir } from './test-support/temp-dir.js';

/**
 * Issue #11, fairness: a client that floods the relay (any event, any payload) is slowed to its
 * budget and, if it stays over it, closed with `rate-limited`; the relay answers a flood with
 * at most 10 refusals a second; each user's connections and new replica ids are capped; and one
 * connection's flood does not keep another's writes from being acknowledged. Loopback only;
 * every flood stops by itself (a deadline, a disconnect); nothing here times the relay.
 */

const SECRET = 'flood-test-secret-long-enough-for-hs256';
const open: { close(): unknown }[] = [];
afterEach(async () => {
  for (const c of open.splice(0).reverse()) await c.close();
});

async function startRelay(
  options: Partial<Parameters<typeof createRelay>[0]> = {},
): Promise<{ relay: Relay; url: string }> {
  const relay = createRelay({
    region: 'us-east-1',
    store: new MemoryStore({ region: 'us-east-1' }),
    anonymous: true,
    logger: pino({ level: 'silent' }),
    ...options,
  });
  open.push(relay);
  const { url } = await relay.listen(0);
  return { relay, url };
}

function connect(url: string, options?: ConstructorParameters<typeof ProtocolClient>[1]) {
  const c = new ProtocolClient(url, options);
  open.push(c);
  return c;
}

function token(user: string): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(user)
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(SECRET));
}

/** Everything a connection receives, with when (ms) and, at the end, how it was closed. */
function record(socket: Socket): { at: number; message?: Message; closed?: string }[] {
  const seen: { at: number; message?: Message; closed?: string }[] = [];
  socket.on('h', (payload: ArrayBuffer | Uint8Array) => {
    const bytes = payload instanceof Uint8Array ? payload : new Uint8Array(payload);
    seen.push({ at: Date.now(), message: decodeMessage(bytes) });
  });
  socket.on('disconnect', (reason) => seen.push({ at: Date.now(), closed: reason }));
  return seen;
}

function errorsOf(seen: ReturnType<typeof record>, code: string): number[] {
  return seen
    .filter((s) => s.message?.kind === 'error' && s.message.code === code)
    .map((s) => s.at);
}

async function refusals(relay: Relay, code: string): Promise<number> {
  const metric = await relay.metrics.refused.get();
  return metric.values.find((v) => v.labels.code === code)?.value ?? 0;
}

/**
 * Emits `frame(i)` as fast as the socket takes it (at most ~256 KiB unsent) until `stop()`
 * holds, the socket is gone, or `maxMs` passes. Resolves with the number sent.
 */
async function flood(
  socket: Socket,
  frame: (i: number) => [event: string, payload: Uint8Array | string],
  stop: () => boolean,
  maxMs: number,
): Promise<number> {
  const deadline = Date.now() + maxMs;
  let sent = 0;
  while (!stop() && socket.connected && Date.now() < deadline) {
    // biome-ignore lint/suspicious/noExplicitAny: engine.io-client internals (write buffer).
    const engine = (socket.io as any).engine;
    const unsent =
      (engine?.transport?.ws?.bufferedAmount ?? 0) + (engine?.writeBuffer?.length ?? 0);
    if (unsent > 256 * 1024) {
      await new Promise((r) => setTimeout(r, 2));
      continue;
    }
    for (let k = 0; k < 50; k++) socket.emit(...frame(sent++));
    await new Promise((r) => setImmediate(r));
  }
  return sent;
}

/** Push frames of `entries` valid GCounter increments by `replica`, `count` of them. */
function pushFrames(replica: ReplicaId, doc: string, entries: number, count: number): Uint8Array[] {
  const state = GCounter.empty();
  const me = { replica };
  let id = 1;
  return Array.from({ length: count }, () =>
    encodeMessage({
      kind: 'push',
      entries: Array.from({ length: entries }, () => {
        const delta = GCounter.increment(state, me);
        GCounter.merge(state, delta);
        return { id: id++, doc, delta: GCounter.encode(delta) };
      }),
    }),
  );
}

describe('a flooding client', () => {
  it('sending text and other events is read no faster than its budget, refused at most 10 times a second, then closed', async () => {
    const { relay, url } = await startRelay({
      limits: { maxMessagesPerSecond: 50, overBudgetCloseMs: 1_500 },
    });
    const c = connect(url);
    await c.ready();
    const seen = record(c.socket);
    const started = Date.now();
    // Text on the protocol event, and events the protocol does not have (text or binary): none
    // of them is a protocol frame.
    const binary = new Uint8Array([1, 2, 3]);
    await flood(
      c.socket,
      (i) =>
        i % 3 === 0 ? ['h', `text ${i}`] : i % 3 === 1 ? ['chat', `hello ${i}`] : ['bin', binary],
      () => seen.some((s) => s.closed !== undefined),
      20_000,
    );
    await eventually(() => seen.some((s) => s.closed !== undefined), 'closed by the relay');
    const seconds = (Date.now() - started) / 1000;
    // Every frame the relay read was refused and counted; it read no more than its budget
    // (a burst of 2 × 50, then 50 a second, and the few already read when it stopped reading).
    const refused = await refusals(relay, 'decode/bad-tag');
    expect(refused).toBeGreaterThan(0);
    expect(refused).toBeLessThanOrEqual(100 + 50 * seconds + 50);
    // It answered at most 10 of them a second (over every one-second window: see ReplyCap in
    // flow-control.test.ts).
    const answered = errorsOf(seen, 'decode/bad-tag');
    expect(answered.length).toBeGreaterThan(0);
    expect(answered.length).toBeLessThanOrEqual(10 * Math.ceil(seconds));
    // Over budget for 1.5 s: told why, then disconnected.
    const notice = seen.findIndex(
      (s) => s.message?.kind === 'error' && s.message.code === 'rate-limited',
    );
    expect(notice).toBeGreaterThanOrEqual(0);
    expect(seen.at(-1)?.closed).toBe('io server disconnect');
  });

  it('gets at most 10 rate-limited replies a second, however many of its frames are dropped', async () => {
    // Frames already read when the relay stops reading are held, up to maxQueuedBytes plus one
    // frame of maxMessageBytes, and long-polling cannot be stopped: with tiny bounds, the relay
    // drops most of a polling client's flood (each drop is counted, and answered within the cap).
    const { relay, url } = await startRelay({
      limits: {
        maxMessagesPerSecond: 20,
        maxQueuedBytes: 256,
        maxMessageBytes: 1_024,
        overBudgetCloseMs: 60_000,
      },
    });
    const c = connect(url, { transport: 'polling' });
    await c.ready();
    const seen = record(c.socket);
    const frames = pushFrames(c.replica, 'n', 1, 5_000);
    const started = Date.now();
    const until = started + 3_000;
    await flood(
      c.socket,
      (i) => ['h', frames[i % frames.length]!],
      () => Date.now() > until,
      10_000,
    );
    await new Promise((r) => setTimeout(r, 1_000)); // replies still on their way
    const seconds = (Date.now() - started) / 1000;
    const replies = errorsOf(seen, 'rate-limited');
    expect(replies.length).toBeGreaterThan(0);
    expect(replies.length).toBeLessThanOrEqual(10 * Math.ceil(seconds));
    // Many more were dropped (and counted) than answered.
    expect(await refusals(relay, 'rate-limited')).toBeGreaterThan(2 * replies.length);
    // (The cap holds over every one-second window: see ReplyCap in flow-control.test.ts.)
  });

  it('pushing more entries than its delta budget is slowed down, not refused entry by entry', async () => {
    const { url } = await startRelay({
      limits: { maxDeltasPerSecond: 100, overBudgetCloseMs: 60_000 },
    });
    const c = connect(url);
    await c.ready();
    const seen = record(c.socket);
    // 300 entries: twice the burst of 200, in one frame.
    const [frame] = pushFrames(c.replica, 'n', 300, 1);
    c.sendRaw(frame!);
    const acked = () =>
      seen.reduce((n, s) => n + (s.message?.kind === 'ack' ? s.message.ids.length : 0), 0);
    await eventually(() => acked() === 300, 'every entry acked', 30_000);
    expect(errorsOf(seen, 'rate-limited')).toEqual([]);
  });

  it('staying over its budget is told rate-limited, then disconnected', async () => {
    const { url } = await startRelay({
      limits: { maxDeltasPerSecond: 50, overBudgetCloseMs: 1_000 },
    });
    const c = connect(url);
    await c.ready();
    const seen = record(c.socket);
    const frames = pushFrames(c.replica, 'n', 50, 2_000);
    await flood(
      c.socket,
      (i) => ['h', frames[i % frames.length]!],
      () => seen.some((s) => s.closed !== undefined),
      30_000,
    );
    await eventually(() => seen.some((s) => s.closed !== undefined), 'closed by the relay');
    const notice = seen.findIndex(
      (s) => s.message?.kind === 'error' && s.message.code === 'rate-limited',
    );
    const closed = seen.findIndex((s) => s.closed !== undefined);
    expect(notice).toBeGreaterThanOrEqual(0);
    expect(notice).toBeLessThan(closed);
    expect(seen[closed]?.closed).toBe('io server disconnect');
  });
});

describe('per-user caps', () => {
  it('refuses a user’s connection beyond maxConnectionsPerUser, and admits one once another closes', async () => {
    const { url } = await startRelay({
      anonymous: false,
      jwt: { secret: SECRET },
      openAccess: true,
      limits: { maxConnectionsPerUser: 2 },
    });
    const ann = await token('ann');
    const first = connect(url, { token: ann });
    await first.ready();
    await connect(url, { token: ann }).ready();
    await expect(connect(url, { token: ann }).ready()).rejects.toMatchObject({
      data: { code: 'too-many-connections' },
    });
    await connect(url, { token: await token('bob') }).ready();
    first.close();
    // The relay frees the slot when it sees the disconnect.
    let admitted = false;
    for (let attempt = 0; attempt < 50 && !admitted; attempt++) {
      admitted = await connect(url, { token: ann })
        .ready()
        .then(
          () => true,
          () => false,
        );
      if (!admitted) await new Promise((r) => setTimeout(r, 50));
    }
    expect(admitted).toBe(true);
  });

  it('refuses new replica ids beyond maxReplicaClaimsPerMinute; known ones still connect', async () => {
    const { url } = await startRelay({
      anonymous: false,
      jwt: { secret: SECRET },
      openAccess: true,
      limits: { maxReplicaClaimsPerMinute: 3 },
    });
    const ann = await token('ann');
    const [r1, r2, r3, r4] = [newReplicaId(), newReplicaId(), newReplicaId(), newReplicaId()];
    await connect(url, { token: ann, replicas: [r1, r2] }).ready();
    await connect(url, { token: ann, replicas: [r3] }).ready();
    await expect(connect(url, { token: ann, replicas: [r4] }).ready()).rejects.toMatchObject({
      data: { code: 'too-many-replicas' },
    });
    // Replica ids it holds already cost no claim; another user has claims of its own.
    await connect(url, { token: ann, replicas: [r1, r3] }).ready();
    await connect(url, { token: await token('bob'), replicas: [r4] }).ready();
  });
});

describe('fairness on a real relay process', () => {
  let dir: { path: string; remove(): Promise<void> };
  beforeAll(async () => {
    dir = await tempDir('helios-flood-');
  });
  afterAll(async () => {
    await dir.remove();
  });

  it('a flooding connection does not keep another connection’s pushes from being acked, nor a new client out', async () => {
    const relay = await RelayProcess.start([
      '--region',
      'us-east-1',
      '--port',
      '0',
      '--db',
      join(dir.path, 'relay.sqlite'),
      '--anonymous',
      '--limit',
      'overBudgetCloseMs=600000',
    ]);
    open.push({ close: () => relay.stop() });
    const flooder = connect(relay.url);
    await flooder.ready();
    const frames = pushFrames(flooder.replica, 'flood', 200, 200);
    const calm = connect(relay.url);
    await calm.ready();
    await calm.subscribe('calm', GCounter);

    let done = false;
    const flooding = flood(
      flooder.socket,
      (i) => ['h', frames[i % frames.length]!],
      () => done,
      120_000,
    );
    try {
      // Let the flood build up a backlog first.
      await eventually(
        () => flooder.received.some((m) => m.kind === 'ack'),
        'flood under way',
        30_000,
      );
      for (let i = 0; i < 20; i++) {
        await withTimeout(
          calm.write('calm', (s, me) => GCounter.increment(s, me)),
          20_000,
          `write ${i} acked`,
        );
      }
      const late = connect(relay.url);
      await late.ready();
      await late.subscribe('calm', GCounter);
      expect(late.value('calm')).toBe(20);
    } finally {
      done = true;
      await flooding;
    }
  });
});

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not within ${ms} ms: ${what}`)), ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}
