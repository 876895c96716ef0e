import 'fake-indexeddb/auto';
import { AWSet, decodeState, PNCounter } from '@helios/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ClientError, RefusedWriteError } from './client-error.js';
import { freshDb, Resources, sleep, until } from './test-support/harness.js';
import { WireTap } from './test-support/wire-tap.js';

/**
 * The sync path against real relays on loopback: what is kept while offline, what crosses the
 * wire on reconnect, when the outbox empties, failover between peered regions, and how far a
 * receipt gets.
 */
const res = new Resources();
let tap: WireTap;
beforeEach(() => {
  tap = new WireTap();
});
afterEach(async () => {
  tap.stop();
  await res.closeAll();
});

describe('offline writes', () => {
  it('apply at once, stay local while offline, and survive a new client on the same database', async () => {
    const { url } = await res.relay({ region: 'us-east-1' });
    const dbName = freshDb();
    const a = res.client([url], { dbName, offline: true });
    const likes = a.counter('likes');
    const tags = a.awSet<string>('tags');
    const title = a.register<string>('title');
    const cart = a.crdtMap('cart', PNCounter);
    await Promise.all([likes.loaded, tags.loaded, title.loaded, cart.loaded]);

    const receipts = [
      likes.increment(5),
      likes.decrement(2),
      tags.add('red'),
      tags.add('blue'),
      tags.remove('red'),
      title.set('draft'),
      cart.update('mug', (line, me) => PNCounter.increment(line, me, 2)),
    ];
    // The value changes synchronously, before anything is stored.
    expect(likes.value).toBe(3);
    expect([...tags.value]).toEqual(['blue']);
    expect(title.value).toBe('draft');
    expect(cart.value.get('mug')).toBe(2);
    await Promise.all(receipts.map((r) => r.wait('local')));
    await sleep(200);
    expect(receipts.map((r) => r.level)).toEqual(receipts.map(() => 'local'));
    expect(a.status.connection).toBe('offline');
    expect(a.status.pending).toEqual({ likes: 2, tags: 3, title: 1, cart: 1 });
    expect(a.status.pendingTotal).toBe(7);
    expect(tap.sent('push')).toEqual([]); // nothing left the client
    await a.close();

    const b = res.client([url], { dbName, offline: true });
    const [likes2, tags2, title2, cart2] = [
      b.counter('likes'),
      b.awSet<string>('tags'),
      b.register<string>('title'),
      b.crdtMap('cart', PNCounter),
    ];
    await Promise.all([likes2.loaded, tags2.loaded, title2.loaded, cart2.loaded]);
    expect(likes2.value).toBe(3);
    expect([...tags2.value]).toEqual(['blue']);
    expect(title2.value).toBe('draft');
    expect(Object.fromEntries(cart2.value)).toEqual({ mug: 2 });
    await b.ready;
    expect(b.status.pendingTotal).toBe(7);
    expect(b.status.pending).toEqual({ likes: 2, tags: 3, title: 1, cart: 1 });

    // Online, the outbox drains; a fresh reader sees exactly the offline state.
    b.setOnline(true);
    await b.flush('relay');
    expect(b.status.pendingTotal).toBe(0);
    const reader = res.client([url]);
    const readLikes = reader.counter('likes');
    const readTags = reader.awSet<string>('tags');
    await until(
      () => readLikes.value === 3 && readTags.value.size === 1 && readTags.has('blue'),
      'reader sees the offline writes',
    );
  });
});

describe('start-up', () => {
  it('writes made before the document loaded are kept by flush and close', async () => {
    const { url } = await res.relay({ region: 'us-east-1' });
    const dbName = freshDb();
    const a = res.client([url], { dbName, offline: true });
    const receipt = a.counter('early').increment(4); // the document is not loaded yet
    expect(receipt.dot).toBeUndefined();
    await a.flush('local');
    expect(receipt.level).toBe('local');
    const late = a.awSet<string>('late');
    const added = late.add('x');
    await a.close(); // closing right away must not drop it either
    expect(added.level).toBe('local');
    expect(added.error).toBeUndefined();

    const b = res.client([url], { dbName, offline: true });
    const [early2, late2] = [b.counter('early'), b.awSet<string>('late')];
    await Promise.all([early2.loaded, late2.loaded]);
    expect(early2.value).toBe(4);
    expect(late2.has('x')).toBe(true);
    expect(b.status.pendingTotal).toBe(2);
  });

  it('going online before start-up finished still connects as this replica', async () => {
    const { url } = await res.relay({ region: 'us-east-1' });
    const c = res.client([url], { offline: true });
    c.setOnline(true); // storage is not even open yet
    const likes = c.counter('likes');
    const receipt = likes.increment();
    await receipt.wait('relay');
    expect(c.status.lastError).toBeNull();
    const hello = tap.sent('subscribe');
    expect(hello.length).toBeGreaterThan(0);
    expect(hello.every((f) => f.replicas.includes(c.replica!))).toBe(true);
  });
});

describe('reconnect', () => {
  it('syncs exactly the missing deltas; a client that has everything gets an empty delta', async () => {
    const { url } = await res.relay({ region: 'us-east-1' });
    const writer = res.client([url]);
    const behind = res.client([url]);
    const current = res.client([url]);
    const wSet = writer.awSet<string>('big');
    const bSet = behind.awSet<string>('big');
    const cSet = current.awSet<string>('big');
    await Promise.all([wSet.loaded, bSet.loaded, cSet.loaded]);
    for (let i = 0; i < 300; i++) wSet.add(`item-${i}`);
    await writer.flush('relay');
    await until(() => bSet.value.size === 300 && cSet.value.size === 300, 'everyone has 300');
    behind.setOnline(false);
    current.setOnline(false);
    await until(
      () => behind.status.connection === 'offline' && current.status.connection === 'offline',
      'both offline',
    );
    // While they are away: three adds and one remove.
    for (const item of ['new-1', 'new-2', 'new-3']) wSet.add(item);
    wSet.remove('item-7');
    await writer.flush('relay');
    // `current` catches up now and goes offline again: it will reconnect with nothing missing.
    current.setOnline(true);
    await until(() => cSet.value.size === 302, 'current caught up');
    current.setOnline(false);
    await until(() => current.status.connection === 'offline', 'current offline again');

    const mark = tap.frames.length;
    behind.setOnline(true);
    current.setOnline(true);
    await until(() => bSet.value.size === 302, 'behind caught up');
    await until(
      () => tap.received('sync', 'big', mark).length === 2,
      'both got their sync replies',
    );
    const [behindReplica, currentReplica] = [behind.replica!, current.replica!];
    const replyTo = (replica: string) => {
      const frames = tap.received('sync', 'big', mark).filter((f) => f.replicas.includes(replica));
      expect(frames).toHaveLength(1);
      return frames[0]!;
    };
    const behindReply = replyTo(behindReplica);
    const currentReply = replyTo(currentReplica);
    const behindDelta = decodeState(behindReply.message.delta);
    const currentDelta = decodeState(currentReply.message.delta);
    // Exactly what was missing: the three new elements (and the dots they carry).
    expect(behindDelta.type).toBe(AWSet);
    expect([...(behindDelta.type.value(behindDelta.state) as Set<string>)].sort()).toEqual([
      'new-1',
      'new-2',
      'new-3',
    ]);
    // Their three dots, plus at most the removed element's (how the removal travels).
    // Its context: the four dots the writer minted meanwhile (three adds, the remove: seqs 301
    // to 304) and the removed element's dot (seq 8), which tells the client to drop it.
    const w = writer.replica!;
    const ctx = behindDelta.state.context;
    expect(ctx.size).toBe(5);
    expect([301, 302, 303, 304, 8].every((seq) => ctx.has(w, seq))).toBe(true);
    // The removal is conveyed without re-sending the 299 elements the client already had:
    // a fraction of what a client with nothing receives.
    const fresh = res.client([url]);
    const fSet = fresh.awSet<string>('big');
    await until(() => fSet.value.size === 302, 'a fresh client gets everything');
    const freshReply = tap
      .received('sync', 'big')
      .filter((f) => f.replicas.includes(fresh.replica!));
    expect(freshReply).toHaveLength(1);
    expect(behindReply.message.delta.length * 20).toBeLessThan(freshReply[0]!.message.delta.length);
    expect(bSet.has('item-7')).toBe(false);
    // Nothing at all for the client that was up to date.
    expect(currentDelta.state.context.size).toBe(0);
    expect((currentDelta.type.value(currentDelta.state) as Set<string>).size).toBe(0);
    expect(currentReply.message.delta.length).toBeLessThanOrEqual(
      AWSet.encode(AWSet.empty()).length,
    );
  });

  it('re-sends only the outbox, never what the relay already acknowledged', async () => {
    const { url } = await res.relay({ region: 'us-east-1' });
    const c = res.client([url]);
    const views = c.gCounter('views');
    await views.loaded;
    for (let i = 0; i < 10; i++) views.increment();
    await c.flush('relay');
    c.setOnline(false);
    for (let i = 0; i < 3; i++) views.increment();
    await c.flush('local');
    expect(c.status.pendingTotal).toBe(3);
    const mark = tap.frames.length;
    c.setOnline(true);
    await c.flush('relay');
    const pushed = tap.sent('push', mark).flatMap((f) => f.message.entries);
    expect(pushed).toHaveLength(3);
    expect(new Set(pushed.map((e) => e.id)).size).toBe(3);
  });
});

describe('outbox', () => {
  it('empties only on acks: a push that reached the relay but whose ack was lost stays pending', async () => {
    const relay = await res.relay({ region: 'us-east-1' });
    const { proxy, url } = await res.proxy(relay.port);
    const c = res.client([url]);
    const reader = res.client([relay.url]);
    const likes = c.counter('likes');
    const seen = reader.counter('likes');
    await Promise.all([likes.loaded, seen.loaded]);
    await until(() => c.status.connection === 'online', 'online');

    proxy.holdDownstream(); // pushes get through, acks do not
    const receipts = Array.from({ length: 5 }, () => likes.increment());
    await until(() => seen.value === 5, 'the relay committed all five');
    await sleep(200);
    expect(c.status.pendingTotal).toBe(5);
    expect(receipts.every((r) => r.level === 'local')).toBe(true);

    proxy.cut();
    await until(() => c.status.connection !== 'online', 'link down');
    await sleep(300);
    expect(c.status.pendingTotal).toBe(5);

    proxy.heal();
    await until(() => c.status.pendingTotal === 0, 'outbox drained after healing', 15_000);
    await Promise.all(receipts.map((r) => r.wait('relay')));
    expect(c.status.lastAckAt).not.toBeNull();
    // The re-sent pushes merged idempotently: still five, not ten.
    await sleep(100);
    expect(seen.value).toBe(5);
    expect(likes.value).toBe(5);
  });
});

describe('failover between peered regions', () => {
  it('writes made while failed over reach both regions; back home, writes keep flowing', async () => {
    const mesh = await res.mesh(['us-east-1', 'eu-west-1']);
    const home = mesh.relays.get('us-east-1')!;
    const { proxy: homeLink, url: homeUrl } = await res.proxy(home.port);
    const c = res.client([homeUrl, mesh.url('eu-west-1')]);
    const readHome = res.client([mesh.url('us-east-1')]);
    const readAway = res.client([mesh.url('eu-west-1')]);
    const docs = [c, readHome, readAway].map((x) => x.awSet<string>('notes'));
    const [notes, atHome, atAway] = docs as [(typeof docs)[0], (typeof docs)[0], (typeof docs)[0]];
    await Promise.all(docs.map((d) => d.loaded));
    await until(() => c.status.region === 'us-east-1' && c.status.connection === 'online', 'home');
    await notes.add('before').wait('global');

    homeLink.cut(); // home unreachable for this client only; the regions still peer
    await until(
      () => c.status.region === 'eu-west-1' && c.status.connection === 'online',
      'failed over',
    );
    const away = ['away-1', 'away-2', 'away-3'].map((n) => notes.add(n));
    await Promise.all(away.map((r) => r.wait('relay')));
    // Acknowledged by eu-west-1, and then replicated to us-east-1 by the peers.
    await Promise.all(away.map((r) => r.wait('global')));
    await until(
      () => ['before', 'away-1', 'away-2', 'away-3'].every((n) => atHome.has(n) && atAway.has(n)),
      'both regions hold the writes made while failed over',
    );

    homeLink.heal();
    await until(
      () => c.status.region === 'us-east-1' && c.status.connection === 'online',
      'back home',
      15_000,
    );
    await notes.add('back').wait('global');
    await until(
      () => atAway.has('back') && atHome.has('back'),
      'the write from home is everywhere',
    );
    expect([...notes.value].sort()).toEqual([...atHome.value].sort());
    expect([...atAway.value].sort()).toEqual([...atHome.value].sort());
  });
});

describe('receipts', () => {
  it("reach 'global' only once every region has the write", async () => {
    const mesh = await res.mesh(['us-east-1', 'eu-west-1']);
    const c = res.client([mesh.url('us-east-1')]);
    const views = c.gCounter('views');
    await views.loaded;
    await views.increment().wait('global'); // the links work

    mesh.partition('eu-west-1', true);
    const receipt = views.increment();
    await receipt.wait('relay');
    await sleep(500);
    expect(receipt.level).toBe('relay');

    mesh.partition('eu-west-1', false);
    await receipt.wait('global');
    expect(receipt.level).toBe('global');
    const farReader = res.client([mesh.url('eu-west-1')]);
    const far = farReader.gCounter('views');
    await until(() => far.value === 2, 'eu-west-1 has both increments');
  });

  it("show in client.events as one 'region' step per peer region, then 'global'", async () => {
    const mesh = await res.mesh(['us-east-1', 'eu-west-1', 'sa-east-1']);
    const c = res.client([mesh.url('us-east-1')], { regionTrail: true });
    const views = c.gCounter('views');
    await views.loaded;
    mesh.partition('sa-east-1', true);
    const receipt = views.increment();
    const trailOf = () =>
      c.events
        .history()
        .flatMap((e) =>
          e.type === 'write' && e.seq === receipt.dot?.seq ? [`${e.stage} ${e.region ?? ''}`] : [],
        );
    await until(() => trailOf().includes('region eu-west-1'), 'eu-west-1 has it');
    expect(receipt.level).toBe('relay'); // sa-east-1 is cut off
    mesh.partition('sa-east-1', false);
    await receipt.wait('global');
    expect(trailOf()).toEqual([
      'pending ',
      'local ',
      'relay us-east-1',
      'region eu-west-1',
      'region sa-east-1',
      'global ',
    ]);
  });

  it('a write made before its document loaded still learns of its final refusal', async () => {
    const { url } = await res.relay({ region: 'us-east-1', limits: { maxCounterStep: 100 } });
    const c = res.client([url]);
    const big = c.counter('big');
    const receipt = big.increment(1000); // the document is still loading
    expect(receipt.dot).toBeUndefined();
    const error = await receipt.wait('relay').then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(ClientError);
    expect((error as ClientError).code).toBe('refused');
    expect(receipt.level).toBe('local');
  });

  it("a write the relay refuses fails its receipt with 'refused' and leaves the outbox", async () => {
    const { url } = await res.relay({ region: 'us-east-1', limits: { maxCounterStep: 100 } });
    const dbName = freshDb();
    const c = res.client([url], { dbName });
    const ok = c.counter('ok');
    const big = c.counter('big');
    await Promise.all([ok.loaded, big.loaded]);
    const fine = ok.increment(7);
    const refused = big.increment(1000);
    expect(big.value).toBe(1000); // it did apply locally
    await fine.wait('relay');
    const error = await refused.wait('relay').then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(RefusedWriteError);
    expect((error as RefusedWriteError).code).toBe('refused');
    expect((error as RefusedWriteError).relayCode).toBe('counter-increment');
    expect((error as RefusedWriteError).doc).toBe('big');
    expect(refused.error).toBe(error);
    expect(refused.level).toBe('local');
    await until(() => c.status.pendingTotal === 0, 'the refused write left the outbox');
    expect(c.status.lastError?.code).toBe('counter-increment');
    expect(c.status.lastError?.doc).toBe('big');

    // It is gone from the stored outbox too: a restart does not push it again.
    await c.flush('relay');
    await c.close();
    const again = res.client([url], { dbName });
    await again.ready;
    expect(again.status.pendingTotal).toBe(0);
    const reader = res.client([url]);
    const seen = reader.counter('big');
    const seenOk = reader.counter('ok');
    await until(() => seenOk.value === 7, 'reader sees the accepted write');
    expect(seen.value).toBe(0);
  });
});
