import {
  AWSet,
  BoundedCounter,
  type BoundedCounterState,
  CausalContext,
  GCounter,
  HybridLogicalClock,
  LWWMap,
  newReplicaId,
  orMap,
  PNCounter,
  Quantity,
} from '@helios/core';
import type { Message } from '@helios/core/protocol';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createRelay, type Relay } from './relay.js';
import { MemoryStore } from './store/memory-store.js';
import { eventually, ProtocolClient } from './test-support/protocol-client.js';

const Cart = orMap(PNCounter);
const open: { close(): unknown }[] = [];
afterEach(async () => {
  for (const c of open.splice(0).reverse()) await c.close();
});

async function startRelay(
  options: Partial<Parameters<typeof createRelay>[0]> = {},
): Promise<{ relay: Relay; url: string }> {
  const relay = createRelay({
    region: 'us-east-1',
    store: new MemoryStore({ region: options.region ?? 'us-east-1' }),
    anonymous: true,
    logger: pino({ level: 'silent' }),
    ...options,
  });
  open.push(relay);
  const { url } = await relay.listen(0);
  return { relay, url };
}

async function client(
  url: string,
  options?: ConstructorParameters<typeof ProtocolClient>[1],
): Promise<ProtocolClient> {
  const c = new ProtocolClient(url, options);
  open.push(c);
  await c.ready();
  return c;
}

describe('relay: sync through one relay', () => {
  it('welcomes with region, time and limits', async () => {
    const { url } = await startRelay();
    const a = await client(url);
    expect(a.welcome?.region).toBe('us-east-1');
    expect(Math.abs(a.welcome!.time - Date.now())).toBeLessThan(5_000);
    expect(a.welcome?.limits.maxMessageBytes).toBeGreaterThan(0);
  });

  it('two clients converge, live, on a cart', async () => {
    const { url } = await startRelay();
    const a = await client(url);
    const b = await client(url);
    await a.subscribe('cart', Cart);
    await b.subscribe('cart', Cart);
    await Promise.all([
      a.write('cart', (s, me) => Cart.update(s, 'beans', (l) => PNCounter.increment(l, me, 2))),
      b.write('cart', (s, me) => Cart.update(s, 'beans', (l) => PNCounter.increment(l, me, 3))),
      b.write('cart', (s, me) => Cart.update(s, 'mug', (l) => PNCounter.increment(l, me, 1))),
    ]);
    await eventually(
      () => a.value('cart').get('beans') === 5 && b.value('cart').get('beans') === 5,
      'beans = 5',
    );
    expect(Cart.equals(a.docs.get('cart')!.state, b.docs.get('cart')!.state)).toBe(true);
  });

  it('a late subscriber gets exactly what it lacks', async () => {
    const { url } = await startRelay();
    const a = await client(url);
    await a.subscribe('tags', AWSet);
    for (const tag of ['red', 'green', 'blue'])
      await a.write('tags', (s, me) => AWSet.add(s, me, tag));
    await a.write('tags', (s, me) => AWSet.remove(s, me, 'green'));

    // The late client already has 'red' from an earlier sync: it is sent only what is new.
    const late = new ProtocolClient(url);
    open.push(late);
    await late.ready();
    const partial = AWSet.empty();
    const aState = a.docs.get('tags')!.state;
    AWSet.merge(
      partial,
      AWSet.deltaSince(aState, { context: new CausalContext(), live: new CausalContext() }),
    );
    AWSet.merge(partial, AWSet.remove(partial, { replica: late.replica }, 'blue'));
    const before = late.received.length;
    await late.subscribe('tags', AWSet, partial);
    const sync = late.received.slice(before).find((m) => m.kind === 'sync') as Extract<
      Message,
      { kind: 'sync' }
    >;
    const delta = AWSet.decode(sync.delta);
    expect(AWSet.value(delta).size).toBe(0); // it already holds everything alive
    expect([...late.value('tags')]).toEqual(['red']); // its own removal of 'blue' stays
    expect(AWSet.equals(late.docs.get('tags')!.state, AWSet.join(aState, partial))).toBe(true);
  });

  it('acks only committed pushes and reports replication when there are no peers', async () => {
    const { url } = await startRelay();
    const a = await client(url);
    await a.subscribe('views', GCounter);
    await a.write('views', (s, me) => GCounter.increment(s, me, 7));
    const replicated = await a.waitFor(
      (m): m is Extract<Message, { kind: 'replicated' }> => m.kind === 'replicated',
    );
    expect(replicated.doc).toBe('views');
    expect(replicated.dots.has(a.replica, 1)).toBe(true);
  });

  it('sends replicated only to the subscribers whose writes it covers', async () => {
    const { url } = await startRelay();
    const writer = await client(url);
    const reader = await client(url);
    await writer.subscribe('views', GCounter);
    await reader.subscribe('views', GCounter);
    await writer.write('views', (s, me) => GCounter.increment(s, me, 1));
    await writer.waitFor(
      (m): m is Extract<Message, { kind: 'replicated' }> => m.kind === 'replicated',
    );
    // The relay announces before it fans out, on the same connection: had the reader been sent
    // the announcement, it would have arrived before this delta.
    await reader.waitFor((m): m is Extract<Message, { kind: 'delta' }> => m.kind === 'delta');
    expect(reader.received.some((m) => m.kind === 'replicated')).toBe(false);

    await reader.write('views', (s, me) => GCounter.increment(s, me, 1));
    const own = await reader.waitFor(
      (m): m is Extract<Message, { kind: 'replicated' }> => m.kind === 'replicated',
    );
    expect(own.dots.has(reader.replica, 1)).toBe(true);
  });
});

describe('relay: bad input', () => {
  it("refuses a client's region-replicated (a relay's kind) with wrong-role, and keeps serving it", async () => {
    const { url } = await startRelay();
    const c = await client(url);
    c.send({ kind: 'region-replicated', doc: 'views', region: 'eu', dots: new CausalContext() });
    await eventually(() => c.errors.some((e) => e.code === 'wrong-role'), 'wrong-role');
    await c.subscribe('views', GCounter);
    await c.write('views', (s, me) => GCounter.increment(s, me, 1));
    expect(c.value('views')).toBe(1);
  });

  it('refuses malformed bytes, wrong types, forged replicas, oversize messages, drift — and keeps serving', async () => {
    const { url } = await startRelay({ limits: { maxMessageBytes: 64 * 1024 } });
    const good = await client(url);
    await good.subscribe('settings', LWWMap);
    const bad = await client(url);
    await bad.subscribe('settings', LWWMap);

    // 1. Malformed bytes.
    bad.sendRaw(new Uint8Array([1, 200, 3, 4]));
    await eventually(() => bad.errors.some((e) => e.code.startsWith('decode/')), 'decode error');

    // 2. A delta of another type for an LWW-Map document.
    const counterDelta = PNCounter.encode(
      PNCounter.increment(PNCounter.empty(), { replica: bad.replica }),
    );
    await expect(bad.pushBytes('settings', counterDelta)).rejects.toMatchObject({
      code: 'type-mismatch',
      doc: 'settings',
    });

    // 3. Dots of a replica this connection is not bound to.
    const forger = new HybridLogicalClock({ replica: newReplicaId() });
    const forged = LWWMap.encode(LWWMap.set(LWWMap.empty(), forger, 'theme', 'dark'));
    await expect(bad.pushBytes('settings', forged)).rejects.toMatchObject({ code: 'foreign-dot' });

    // 4. A timestamp far in the future.
    const future = new HybridLogicalClock({
      replica: bad.replica,
      now: () => Date.now() + 3_600_000,
    });
    const late = LWWMap.encode(LWWMap.set(LWWMap.empty(), future, 'theme', 'neon'));
    await expect(bad.pushBytes('settings', late)).rejects.toMatchObject({ code: 'clock-drift' });

    // 5. Oversize: Socket.IO drops the connection of a client sending more than maxHttpBufferSize.
    const huge = new Uint8Array(200 * 1024);
    bad.sendRaw(huge);
    await eventually(() => !bad.socket.connected, 'oversize message disconnects');

    // The document is unchanged and the relay still serves the good client.
    const me = new HybridLogicalClock({ replica: good.replica });
    await good.write('settings', (s) => LWWMap.set(s, me, 'theme', 'light'));
    const check = await client(url);
    await check.subscribe('settings', LWWMap);
    expect([...check.value('settings')]).toEqual([['theme', 'light']]);
  });

  it('refuses a counter that goes down and steps too large', async () => {
    const { url } = await startRelay({ limits: { maxCounterStep: 100 } });
    const a = await client(url);
    await a.subscribe('likes', PNCounter);
    await a.write('likes', (s, me) => PNCounter.increment(s, me, 50));
    await expect(
      a.write('likes', (s, me) => PNCounter.increment(s, me, 101)),
    ).rejects.toMatchObject({
      code: 'counter-increment',
    });
  });

  it('a bounded counter needs no relay code: rights move, and spending rights not held is refused', async () => {
    const { url } = await startRelay();
    const a = await client(url);
    const b = await client(url);
    await a.subscribe('stock', BoundedCounter);
    await b.subscribe('stock', BoundedCounter);
    await a.write('stock', (s, me) => BoundedCounter.increment(s, me, 5));
    await a.write('stock', (s, me) => BoundedCounter.transfer(s, me, b.replica, 2));
    await eventually(
      () => BoundedCounter.localRights(b.docs.get('stock')!.state, b.replica) === 2,
      'b holds the rights',
    );
    await b.write('stock', (s, me) => BoundedCounter.decrement(s, me, 2));
    await eventually(() => a.value('stock') === 3, 'a sees the sale');
    // A hand-made decrement past B's (now zero) rights, which the mutator would refuse.
    const overspend = (s: BoundedCounterState, me: { replica: string }): BoundedCounterState => {
      const next = s.context.next(me.replica);
      const own = s.store.filter((e) => e.replica === me.replica && e.value.kind === 'totals');
      const delta = BoundedCounter.empty();
      for (const e of own) delta.context.add(e.replica, e.seq);
      delta.context.add(next.replica, next.seq);
      delta.store = [{ ...next, value: { kind: 'totals', p: 0, n: 3 } }];
      return delta;
    };
    await expect(b.write('stock', overspend as never)).rejects.toMatchObject({
      code: 'insufficient-rights',
    });
    const check = await client(url);
    await check.subscribe('stock', BoundedCounter);
    expect(check.value('stock')).toBe(3);
  });

  it('a cart of quantities needs no relay code: any writer takes units away, a flood is refused', async () => {
    const QuantityCart = orMap(Quantity);
    const { url } = await startRelay();
    const a = await client(url);
    const b = await client(url);
    await a.subscribe('cart', QuantityCart);
    await b.subscribe('cart', QuantityCart);
    await a.write('cart', (s, me) =>
      QuantityCart.update(s, 'mug', (l) => Quantity.increment(l, me, 2)),
    );
    await eventually(() => b.value('cart').get('mug') === 2, 'b sees both mugs');
    // B takes away one of the units A added: that is the decrement, whoever added them.
    await b.write('cart', (s, me) =>
      QuantityCart.update(s, 'mug', (l) => Quantity.decrement(l, me)),
    );
    await eventually(() => a.value('cart').get('mug') === 1, 'a sees one mug');
    // A hand-made delta adding 1,001 units in one go (the mutator stops at 1,000).
    const flood = QuantityCart.empty();
    const first = b.docs.get('cart')!.state.context.next(b.replica).seq;
    flood.context.addRange(b.replica, first, first + 1000);
    const units = Array.from({ length: 1001 }, (_, i) => ({
      replica: b.replica,
      seq: first + i,
      value: true as const,
    }));
    const line = QuantityCart.update(QuantityCart.empty(), 'mug', () => ({
      context: flood.context,
      store: units,
    }));
    await expect(b.pushBytes('cart', QuantityCart.encode(line))).rejects.toMatchObject({
      code: 'counter-increment',
    });
    const check = await client(url);
    await check.subscribe('cart', QuantityCart);
    expect(check.value('cart').get('mug')).toBe(1);
  });

  it('checks authorization on every message, not only at connect', async () => {
    const { url } = await startRelay({
      authorize: (_user, doc, access) => !(doc === 'secret' && access === 'write'),
    });
    const a = await client(url);
    await a.subscribe('secret', GCounter);
    await expect(a.write('secret', (s, me) => GCounter.increment(s, me))).rejects.toMatchObject({
      code: 'forbidden',
    });
  });

  it('refuses browser WebSocket connections from origins outside the CORS allow-list', async () => {
    const { url } = await startRelay({ corsOrigins: ['https://shop.example'] });
    const { io } = await import('socket.io-client');
    const connect = (origin: string) => {
      const s = io(url, {
        auth: { protocol: 1, replicas: [] },
        transports: ['websocket'],
        reconnection: false,
        forceNew: true,
        extraHeaders: { origin },
      });
      open.push(s);
      return new Promise<string>((resolve) => {
        s.once('connect', () => resolve('connected'));
        s.once('connect_error', () => resolve('refused'));
      });
    };
    expect(await connect('https://evil.example')).toBe('refused');
    expect(await connect('https://shop.example')).toBe('connected');
  });

  it('refuses an unsupported protocol version at the handshake', async () => {
    const { url } = await startRelay();
    const { io } = await import('socket.io-client');
    const s = io(url, {
      auth: { protocol: 99, replicas: [] },
      transports: ['websocket'],
      reconnection: false,
    });
    open.push(s);
    const err = await new Promise<Error & { data?: { code: string } }>((r) =>
      s.once('connect_error', r),
    );
    expect(err.data?.code).toBe('protocol-version');
  });
});
