import { GCounter } from '@helios/core';
import { decodeMessage, type FeedBatch, type Message, type PeerAuth } from '@helios/core/protocol';
import {
  SocketIoTransport,
  type Transport,
  type TransportConnection,
  type TransportEvents,
} from '@helios/transport';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createRelay } from './relay.js';
import { MemoryStore } from './store/memory-store.js';
import { DroppableTransport } from './test-support/droppable-transport.js';
import { eventually, ProtocolClient } from './test-support/protocol-client.js';

const open: { close(): unknown }[] = [];
afterEach(async () => {
  for (const c of open.splice(0).reverse()) await c.close();
});

/**
 * A peer transport that hands every dial to Socket.IO and records what passes through it: the
 * handshakes, and the kinds of the frames each way. It can end every open connection as the
 * network would, and refuse the next dials as a peer that is shutting down does.
 */
class TappedTransport extends DroppableTransport {
  readonly hellos: PeerAuth[] = [];
  readonly sent: Message['kind'][] = [];
  readonly received: Message['kind'][] = [];
  readonly batches: FeedBatch[] = [];
  /** Dials still to refuse with `unavailable` before handing them on. */
  refuseNext = 0;

  constructor() {
    super(new SocketIoTransport());
  }

  override connect(url: string, hello: PeerAuth, events: TransportEvents): TransportConnection {
    this.hellos.push(hello);
    if (this.refuseNext > 0) {
      this.refuseNext--;
      setTimeout(() => events.refused({ code: 'unavailable', message: 'shutting down' }), 0);
      return { connected: false, send: () => {}, close: () => {} };
    }
    const connection = super.connect(url, hello, events);
    return {
      get connected() {
        return connection.connected;
      },
      send: (bytes) => {
        this.sent.push(decodeMessage(bytes).kind);
        connection.send(bytes);
      },
      close: () => connection.close(),
    };
  }

  protected override tapMessage(bytes: Uint8Array): void {
    const message = decodeMessage(bytes);
    this.received.push(message.kind);
    if (message.kind === 'feed-batch') this.batches.push(message);
  }
}

/** Relay `eu-west-1`, and relay `us-east-1` pulling its feed through `transport`. */
async function pair(transport: Transport<PeerAuth>) {
  const peer = createRelay({
    region: 'eu-west-1',
    store: new MemoryStore({ region: 'eu-west-1' }),
    anonymous: true,
    logger: pino({ level: 'silent' }),
  });
  open.push(peer);
  const { url: peerUrl } = await peer.listen(0);
  const relay = createRelay({
    region: 'us-east-1',
    store: new MemoryStore({ region: 'us-east-1' }),
    anonymous: true,
    logger: pino({ level: 'silent' }),
    peers: [{ region: 'eu-west-1', url: peerUrl }],
    peerTransport: transport,
  });
  open.push(relay);
  const { url } = await relay.listen(0);
  const writer = new ProtocolClient(peerUrl);
  const reader = new ProtocolClient(url);
  open.push(writer, reader);
  await Promise.all([writer.ready(), reader.ready()]);
  await writer.subscribe('views', GCounter);
  await reader.subscribe('views', GCounter);
  const write = (n: number) => writer.write('views', (s, me) => GCounter.increment(s, me, n));
  return { relay, write, reader };
}

describe('relay option peerTransport', () => {
  it('peer links dial through the given transport, and every frame passes through it', async () => {
    const transport = new TappedTransport();
    const { write, reader } = await pair(transport);
    await write(3);
    await eventually(() => reader.value('views') === 3, 'the peer’s write arrives');
    await write(4);
    await eventually(() => reader.value('views') === 7, 'the next write arrives');
    // A live batch continues from the one before it.
    expect(transport.batches.map((b) => b.after)).toEqual([
      0,
      transport.batches[0]!.entries[0]!.seq,
    ]);
    expect(transport.hellos).toEqual([
      expect.objectContaining({ peer: 'us-east-1', relayId: expect.any(String) }),
    ]);
    expect(transport.received[0]).toBe('welcome');
    expect(transport.received).toContain('feed-batch');
    expect(transport.sent[0]).toBe('feed-request');
    await eventually(() => transport.sent.includes('feed-ack'), 'the link acknowledges');
  });

  it('a link whose connection ends dials again through it and resumes from its cursor', async () => {
    const transport = new TappedTransport();
    const { write, reader } = await pair(transport);
    await write(1);
    await eventually(() => reader.value('views') === 1, 'first write arrives');
    transport.dropAll();
    await write(2);
    await eventually(() => reader.value('views') === 3, 'the write after the drop arrives');
    expect(transport.hellos).toHaveLength(2);
    expect(transport.sent.filter((k) => k === 'feed-request')).toHaveLength(2);
    // Each batch names where it continues from: the first request's 0, then the second one's,
    // the cursor at the first batch's end.
    const [first, second] = transport.batches;
    expect(transport.batches).toHaveLength(2);
    expect(first!.after).toBe(0);
    expect(second!.after).toBe(first!.entries.at(-1)!.seq);
  });

  it('a link the peer refuses dials again until it is admitted', async () => {
    const transport = new TappedTransport();
    transport.refuseNext = 2;
    const { write, reader } = await pair(transport);
    await write(5);
    await eventually(() => reader.value('views') === 5, 'the write arrives once admitted');
    expect(transport.hellos).toHaveLength(3);
  });
});
