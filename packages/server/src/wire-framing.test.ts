import { GCounter, newReplicaId, orMap, PNCounter } from '@helios/core';
import {
  decodeMessage,
  encodeMessage,
  type Message,
  PROTOCOL_VERSION,
} from '@helios/core/protocol';
import { SINGLE_FRAME_MARKER } from '@helios/transport';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createRelay } from './relay.js';
import { MemoryStore } from './store/memory-store.js';
import { eventually, ProtocolClient } from './test-support/protocol-client.js';

const open: { close(): unknown }[] = [];
afterEach(async () => {
  for (const c of open.splice(0).reverse()) await c.close();
});

async function startRelay(limits?: { maxMessageBytes: number }): Promise<string> {
  const relay = createRelay({
    region: 'us-east-1',
    store: new MemoryStore({ region: 'us-east-1' }),
    anonymous: true,
    logger: pino({ level: 'silent' }),
    ...(limits ? { limits } : {}),
  });
  open.push(relay);
  return (await relay.listen(0)).url;
}

async function client(url: string, transport?: 'websocket' | 'polling'): Promise<ProtocolClient> {
  const c = new ProtocolClient(url, transport ? { transport } : {});
  open.push(c);
  await c.ready();
  return c;
}

/**
 * A WebSocket that speaks Engine.IO and Socket.IO by hand, so the test sees every WebSocket
 * message exactly as the relay sent it.
 */
class RawSocket {
  readonly ws: WebSocket;
  readonly messages: { binary: boolean; data: Buffer }[] = [];
  readonly closed: Promise<void>;

  constructor(url: string) {
    this.ws = new WebSocket(`${url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`);
    this.ws.on('message', (data: Buffer, binary: boolean) => this.messages.push({ binary, data }));
    this.closed = new Promise((resolve) => this.ws.once('close', () => resolve()));
    open.push(this.ws);
  }

  /** Engine.IO open, then Socket.IO CONNECT with a client's auth; resolves once admitted. */
  async connect(replica: string): Promise<void> {
    await this.next((m) => !m.binary && m.data.toString().startsWith('0{'));
    this.ws.send(`40${JSON.stringify({ protocol: PROTOCOL_VERSION, replicas: [replica] })}`);
    await this.next((m) => !m.binary && m.data.toString().startsWith('40{'));
  }

  /** The protocol messages received so far, from single binary WebSocket messages. */
  frames(): Message[] {
    return this.messages
      .filter((m) => m.binary)
      .map((m) => {
        expect(m.data[0]).toBe(SINGLE_FRAME_MARKER);
        return decodeMessage(m.data.subarray(1));
      });
  }

  async next(test: (m: { binary: boolean; data: Buffer }) => boolean): Promise<void> {
    await eventually(() => this.messages.some(test), 'the expected WebSocket message');
  }
}

describe('wire framing: one WebSocket message per protocol frame', () => {
  it('the relay sends and accepts each protocol frame as one binary WebSocket message', async () => {
    const url = await startRelay();
    const replica = newReplicaId();
    const raw = new RawSocket(url);
    await raw.connect(replica);
    await raw.next((m) => m.binary);

    const delta = GCounter.encode(GCounter.increment(GCounter.empty(), { replica }, 1));
    const push = encodeMessage({ kind: 'push', entries: [{ id: 1, doc: 'clicks', delta }] });
    raw.ws.send(Buffer.concat([Buffer.of(SINGLE_FRAME_MARKER), push]));
    await eventually(() => raw.frames().some((m) => m.kind === 'ack'), 'the ack');

    // Open, CONNECT, then exactly one WebSocket message per protocol frame: welcome and ack.
    expect(raw.messages.filter((m) => !m.binary).map((m) => m.data.toString()[0])).toEqual([
      '0',
      '4',
    ]);
    expect(raw.frames().map((m) => m.kind)).toEqual(['welcome', 'ack']);
    const ack = raw.messages.at(-1)!;
    expect(ack.data.length).toBe(1 + encodeMessage(raw.frames()[1]!).length);
  });

  it('a garbage binary message closes only its own connection', async () => {
    const url = await startRelay();
    const Cart = orMap(PNCounter);
    const a = await client(url);
    const b = await client(url);
    await a.subscribe('cart', Cart);
    await b.subscribe('cart', Cart);
    const raw = new RawSocket(url);
    await raw.connect(newReplicaId());

    raw.ws.send(Uint8Array.from([0x00, 0xff, 0x13]));
    await raw.closed;

    await a.write('cart', (s, me) => Cart.update(s, 'mug', (l) => PNCounter.increment(l, me, 2)));
    await eventually(() => b.value('cart').get('mug') === 2, 'b sees the mug');
    expect(a.socket.connected && b.socket.connected).toBe(true);
    const late = await client(url);
    expect(late.welcome?.region).toBe('us-east-1');
  });

  it('a polling-only client syncs end to end (Engine.IO base64-encodes the frames)', async () => {
    const url = await startRelay();
    const Cart = orMap(PNCounter);
    const a = await client(url, 'polling');
    const b = await client(url, 'polling');
    expect(a.socket.io.engine.transport.name).toBe('polling');
    await a.subscribe('cart', Cart);
    await b.subscribe('cart', Cart);
    await a.write('cart', (s, me) => Cart.update(s, 'beans', (l) => PNCounter.increment(l, me, 2)));
    await b.write('cart', (s, me) => Cart.update(s, 'beans', (l) => PNCounter.increment(l, me, 3)));
    await eventually(
      () => a.value('cart').get('beans') === 5 && b.value('cart').get('beans') === 5,
      'beans = 5 on both',
    );
  });

  it('the marker byte does not count against maxMessageBytes', async () => {
    const url = await startRelay({ maxMessageBytes: 1024 });
    const c = await client(url);
    c.sendRaw(new Uint8Array(1024)); // not a valid frame, but within the limit: answered
    await eventually(() => c.errors.length === 1, 'the decode error');
    expect(c.errors[0]?.code).toBe('decode/bad-version');
    expect(c.socket.connected).toBe(true);
    c.sendRaw(new Uint8Array(1025));
    await eventually(() => !c.socket.connected, 'an oversize frame disconnects');
  });
});
