import { join } from 'node:path';
import { AWSet, GCounter } from '@helios/core';
import { PROTOCOL_VERSION } from '@helios/core/protocol';
import { freePort, UdpProxy } from '@helios/test-kit';
import { pino } from 'pino';
import selfsigned from 'selfsigned';
import { afterEach, describe, expect, it } from 'vitest';
import type { RelayOptions } from '../options.js';
import { createRelay, type Relay } from '../relay.js';
import { MemoryStore } from '../store/memory-store.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { DroppableTransport } from '../test-support/droppable-transport.js';
import { eventually, ProtocolClient } from '../test-support/protocol-client.js';
import { answerTo, json, rawDial } from '../test-support/quic-dialer.js';
import { tempDir } from '../test-support/temp-dir.js';
import { encodeFrame } from './quic-framing.js';
import { QuicPeerTransport } from './quic-peer-transport.js';
import { QuicCloseCode } from './quic-settings.js';

const open: { close(): unknown }[] = [];
afterEach(async () => {
  for (const c of open.splice(0).reverse()) await c.close();
});

const silent = pino({ level: 'silent' });
const A = 'us-east-1';
const B = 'eu-west-1';

function relay(region: string, options: Partial<RelayOptions> = {}): Relay {
  const r = createRelay({
    region,
    store: new MemoryStore({ region }),
    anonymous: true,
    peerToken: 'secret-token',
    logger: silent,
    ...options,
  });
  open.push(r);
  return r;
}

async function client(url: string): Promise<ProtocolClient> {
  const c = new ProtocolClient(url);
  open.push(c);
  await c.ready();
  await c.subscribe('views', GCounter);
  return c;
}

const add = (c: ProtocolClient, n: number) =>
  c.write('views', (s, me) => GCounter.increment(s, me, n));

/** QUIC only, without the fallback to WebSocket: a link that works went over QUIC. */
const quicOnly = (options: { welcomeTimeoutMs?: number } = {}) =>
  new QuicPeerTransport({ logger: silent, maxMessageBytes: 1024 * 1024, ...options });

/**
 * Relays of A and B peered with each other over QUIC only, both listening for QUIC (each with
 * its own options over those).
 */
async function quicPair(options: { a?: Partial<RelayOptions>; b?: Partial<RelayOptions> } = {}) {
  const [portA, portB] = [await freePort(), await freePort()];
  const [urlA, urlB] = [`http://127.0.0.1:${portA}`, `http://127.0.0.1:${portB}`];
  const both = { peerTransport: quicOnly(), quic: {} };
  const a = relay(A, { ...both, peers: [{ region: B, url: urlB }], ...options.a });
  const b = relay(B, { ...both, peers: [{ region: A, url: urlA }], ...options.b });
  await Promise.all([a.listen(portA), b.listen(portB)]);
  return { a, b, urlA, urlB, portB };
}

describe('QUIC peer links', () => {
  it('replicate both ways between two relays', async () => {
    const { urlA, urlB } = await quicPair();
    const [atA, atB] = [await client(urlA), await client(urlB)];
    await add(atA, 2);
    await add(atB, 3);
    await eventually(() => atA.value('views') === 5 && atB.value('views') === 5, 'both ways');
  });

  it('stay up past the welcome deadline once welcomed', async () => {
    const transport = droppableQuic({ welcomeTimeoutMs: 300 });
    const { urlA, urlB } = await quicPair({ a: { peerTransport: transport } });
    const [atA, atB] = [await client(urlA), await client(urlB)];
    await add(atB, 1);
    await eventually(() => atA.value('views') === 1, 'the link is up');
    await new Promise((r) => setTimeout(r, 1_000)); // three deadlines
    expect(transport.dials).toBe(1);
    await add(atB, 1);
    await eventually(() => atA.value('views') === 2, 'the same link carries on');
  });
});

const hello = (token: string) => ({ protocol: PROTOCOL_VERSION, peer: 'x', relayId: 'x-1', token });

/** A self-signed certificate for `localhost` that is its own CA. */
function localhostCertificate(): { cert: string; key: string } {
  const pems = selfsigned.generate([{ name: 'commonName', value: 'localhost' }], {
    keySize: 2048,
    days: 1,
    algorithm: 'sha256',
    extensions: [{ name: 'basicConstraints', cA: true }],
  });
  return { cert: pems.cert, key: pems.private };
}

describe('QUIC peer certificates', () => {
  it('with a CA, a peer whose certificate chains to it is dialled; one that does not is refused', async () => {
    const [trusted, other] = [localhostCertificate(), localhostCertificate()];
    const ports = [await freePort(), await freePort()];
    const b = relay(B, { quic: trusted });
    const c = relay('sa-east-1', { quic: other });
    await Promise.all([b.listen(ports[0]), c.listen(ports[1])]);
    const a = relay(A, {
      peerTransport: 'quic',
      quic: { ca: trusted.cert },
      peers: [
        { region: B, url: `http://localhost:${ports[0]}` },
        { region: 'sa-east-1', url: `http://localhost:${ports[1]}` },
      ],
    });
    const { url: urlA } = await a.listen(0);
    const atA = await client(urlA);
    await add(await client(`http://127.0.0.1:${ports[1]}`), 100); // c's: never reaches a
    await add(await client(`http://127.0.0.1:${ports[0]}`), 5);
    await eventually(() => atA.value('views') === 5, 'b’s write arrives over verified QUIC');
    await new Promise((r) => setTimeout(r, 1_000));
    // c's certificate does not verify: a refusal, not a reason to fall back to WebSocket.
    expect(atA.value('views')).toBe(5);
  });
});

describe('QUIC peer admission', () => {
  it('refuses a wrong peer token, and the feed never crosses', async () => {
    const { b, urlA, urlB } = await quicPair({ a: { peerToken: 'not-the-token' } });
    const [atA, atB] = [await client(urlA), await client(urlB)];
    await add(atB, 7); // a's link to b is refused: this never reaches a
    await add(atA, 1); // b's link to a is refused too (a expects another token)
    await new Promise((r) => setTimeout(r, 1_500));
    expect(atA.value('views')).toBe(1);
    expect(atB.value('views')).toBe(7);
    const refused = await b.metrics.registry.getSingleMetricAsString('helios_refused_total');
    expect(refused).toMatch(/code="unauthenticated"[^\n]* [1-9]/);
  });

  it('answers a refused handshake with the error code, then closes with `refused`', async () => {
    const { portB } = await quicPair();
    const wrong = await answerTo(open, portB, json(hello('not-the-token')));
    expect(wrong.answers).toEqual([
      expect.objectContaining({ kind: 'error', code: 'unauthenticated' }),
    ]);
    expect(wrong.closeCode).toBe(QuicCloseCode.refused);
    const old = await answerTo(open, portB, json({ ...hello('secret-token'), protocol: 0 }));
    expect(old.answers).toEqual([expect.objectContaining({ code: 'protocol-version' })]);
    const client = await answerTo(
      open,
      portB,
      json({ protocol: PROTOCOL_VERSION, token: 'secret-token' }),
    );
    expect(client.answers).toEqual([expect.objectContaining({ code: 'bad-hello' })]);
  });

  it('survives hostile bytes, and the other peers replicate on', async () => {
    const { urlA, urlB, portB } = await quicPair();
    const [atA, atB] = [await client(urlA), await client(urlB)];
    // A frame announcing 4 GiB: closed before a byte of it is buffered.
    const huge = await answerTo(open, portB, new Uint8Array([0xff, 0xff, 0xff, 0xff, 1, 2, 3]));
    expect(huge).toEqual({ answers: [], closeCode: QuicCloseCode.badFrame });
    // Not JSON, and JSON that is no handshake.
    const garbage = await answerTo(
      open,
      portB,
      encodeFrame(new Uint8Array([0xc3, 0x28, 0x00, 0xff])),
    );
    expect(garbage.answers).toEqual([expect.objectContaining({ code: 'bad-hello' })]);
    const notObject = await answerTo(open, portB, json([1, 2, 3]));
    expect(notObject.answers).toEqual([expect.objectContaining({ code: 'protocol-version' })]);
    // A dialer gets one bidirectional stream and no unidirectional one.
    const extra = await rawDial(open, portB);
    expect(() => extra.connection.newStream('uni')).toThrow();
    extra.connection.newStream('bidi');
    expect(() => extra.connection.newStream('bidi')).toThrow();
    await add(atB, 4);
    await add(atA, 6);
    await eventually(() => atA.value('views') === 10 && atB.value('views') === 10, 'replicated');
  });
});

/** QUIC only, with every open connection to be ended from outside, as the network would. */
const droppableQuic = (options: { welcomeTimeoutMs?: number } = {}) =>
  new DroppableTransport(quicOnly(options));

describe('QUIC peer links, when things go wrong', () => {
  it('redial after the connection is closed and resume from the cursor', async () => {
    const transport = droppableQuic();
    const { urlA, urlB } = await quicPair({ a: { peerTransport: transport } });
    const [atA, atB] = [await client(urlA), await client(urlB)];
    await add(atB, 1);
    await eventually(() => atA.value('views') === 1, 'first write arrives');
    transport.dropAll();
    for (let i = 0; i < 20; i++) await add(atB, 1);
    await eventually(() => atA.value('views') === 21, 'every write after the drop arrives');
    expect(transport.dials).toBeGreaterThanOrEqual(2);
  });

  it("survive the dialer's address changing again and again: a migrated link renews itself", async () => {
    const [portA, portB] = [await freePort(), await freePort()];
    // B dials A through a NAT-like proxy; each rebind gives B's packets a new source port.
    const nat = new UdpProxy(portA, { ordered: true });
    open.push(nat);
    const natPort = await nat.listen();
    const both = { peerTransport: quicOnly(), quic: {} };
    const a = relay(A, { ...both, peers: [{ region: B, url: `http://127.0.0.1:${portB}` }] });
    const b = relay(B, { ...both, peers: [{ region: A, url: `http://127.0.0.1:${natPort}` }] });
    await Promise.all([a.listen(portA), b.listen(portB)]);
    const [atA, atB] = [
      await client(`http://127.0.0.1:${portA}`),
      await client(`http://127.0.0.1:${portB}`),
    ];
    await add(atA, 1);
    await eventually(() => atB.value('views') === 1, 'first write crosses');
    for (let views = 2; views <= 4; views++) {
      await nat.rebind();
      const rebound = Date.now();
      await add(atA, 1);
      // The library migrates a connection once; without the renewal the second rebinding would
      // leave the link silent until its 3 s idle timeout, then a redial.
      await eventually(
        () => atB.value('views') === views,
        `write after rebind ${views - 1}`,
        2_500,
      );
      expect(Date.now() - rebound).toBeLessThan(2_500);
      // Give the renewal (a new connection beside the migrated one) time to take over.
      await new Promise((r) => setTimeout(r, 1_000));
    }
    expect(nat.bindings).toBeGreaterThanOrEqual(5); // a new connection is a new flow too
  });

  it('a relay whose listener went away is dialled again once it is back, from the cursor', async () => {
    const dir = await tempDir('helios-quic-');
    open.unshift({ close: () => dir.remove() }); // removed after everything else closed
    const [portA, portB] = [await freePort(), await freePort()];
    const path = join(dir.path, 'eu.sqlite');
    const startB = async () => {
      const b = relay(B, { store: await SqliteStore.open({ path, region: B }), quic: {} });
      await b.listen(portB);
      return b;
    };
    const b = await startB();
    const a = relay(A, {
      peerTransport: quicOnly(),
      peers: [{ region: B, url: `http://127.0.0.1:${portB}` }],
    });
    await a.listen(portA);
    const atA = await client(`http://127.0.0.1:${portA}`);
    const atB = await client(`http://127.0.0.1:${portB}`);
    for (let i = 0; i < 5; i++) await add(atB, 1);
    await eventually(() => atA.value('views') === 5, 'the first writes arrive');
    await atB.close();
    await b.close(); // its QUIC listener and the link's connection with it
    const again = await startB();
    void again;
    const atB2 = await client(`http://127.0.0.1:${portB}`);
    expect(atB2.value('views')).toBe(5);
    for (let i = 0; i < 3; i++) await add(atB2, 1);
    await eventually(() => atA.value('views') === 8, 'the writes after the restart arrive');
  });

  it('send a backlog in batch streams that QUIC finishes out of order, merged in order', async () => {
    const [portA, portB] = [await freePort(), await freePort()];
    const b = relay(B, { quic: {} });
    await b.listen(portB);
    const atB = await client(`http://127.0.0.1:${portB}`);
    await atB.subscribe('tags', AWSet);
    // A first batch of 500 entries of 1 KB, and a second one of 20: the second, small stream
    // completes long before the first one on the wire.
    const items = Array.from(
      { length: 520 },
      (_, i) => `${String(i).padStart(3, '0')}${'x'.repeat(1000)}`,
    );
    for (const item of items) await atB.write('tags', (s, me) => AWSet.add(s, me, item));
    const a = relay(A, {
      peerTransport: quicOnly(),
      peers: [{ region: B, url: `http://127.0.0.1:${portB}` }],
    });
    await a.listen(portA);
    const atA = await client(`http://127.0.0.1:${portA}`);
    await atA.subscribe('tags', AWSet);
    await eventually(
      () => (atA.value('tags') as Set<string>).size === items.length,
      'every write arrives',
    );
  });

  it('fall back to WebSocket for a peer without a QUIC listener', async () => {
    const b = relay(B); // WebSocket only: its UDP port does not answer
    const { url: urlB } = await b.listen(0);
    const a = relay(A, { peerTransport: 'quic', peers: [{ region: B, url: urlB }] });
    const { url: urlA } = await a.listen(0);
    const [atA, atB] = [await client(urlA), await client(urlB)];
    await add(atB, 9);
    await eventually(() => atA.value('views') === 9, 'the write arrives over WebSocket', 15_000);
  });
});
