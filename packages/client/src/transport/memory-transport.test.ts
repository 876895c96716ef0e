import { PROTOCOL_VERSION } from '@helios/core/protocol';
import { LinkModel } from '@helios/test-kit';
import type { TransportEvents } from '@helios/transport';
import { describe, expect, it } from 'vitest';
import { ManualClock, turn } from '../test-support/manual-clock.js';
import { type MemoryPeer, MemoryTransport } from './memory-transport.js';

const hello = { protocol: PROTOCOL_VERSION, replicas: ['r1'] };

/** Client-side events, recorded. */
function recorder() {
  const log: string[] = [];
  const events: TransportEvents = {
    message: (bytes) => log.push(`message ${[...bytes].join(',')}`),
    refused: (e) => log.push(`refused ${e.code ?? '-'} ${e.message}`),
    closed: () => log.push('closed'),
  };
  return { log, events };
}

/** A relay endpoint that admits everyone, answers with a welcome byte and echoes. */
function echo(transport: MemoryTransport, url: string) {
  const peers: MemoryPeer[] = [];
  transport.listen(url, (peer) => {
    peers.push(peer);
    peer.onMessage = (bytes) => peer.send(bytes);
    peer.send(new Uint8Array([0]));
    return undefined;
  });
  return peers;
}

describe('MemoryTransport', () => {
  it('connects, delivers the welcome sent while admitting, then messages in order, never synchronously', async () => {
    const transport = new MemoryTransport();
    const peers = echo(transport, 'memory://a');
    const { log, events } = recorder();
    const conn = transport.connect('memory://a', hello, events);
    expect(conn.connected).toBe(false);
    expect(log).toEqual([]);
    await turn();
    expect(conn.connected).toBe(true);
    expect(peers[0]?.hello).toEqual(hello);
    conn.send(new Uint8Array([1]));
    conn.send(new Uint8Array([2]));
    expect(log).toEqual(['message 0']);
    await turn();
    expect(log).toEqual(['message 0', 'message 1', 'message 2']);
  });

  it('reports a refusal with its code, and an unreachable relay without one', async () => {
    const transport = new MemoryTransport();
    transport.listen('memory://a', () => ({ code: 'unauthenticated', message: 'no token' }));
    const refused = recorder();
    transport.connect('memory://a', hello, refused.events);
    const nowhere = recorder();
    transport.connect('memory://b', hello, nowhere.events);
    await turn();
    expect(refused.log).toEqual(['refused unauthenticated no token']);
    expect(nowhere.log).toEqual(['refused - memory://b is unreachable']);
    expect(await transport.probe('memory://a')).toBe(true);
    expect(await transport.probe('memory://b')).toBe(false);
  });

  it('delays every message by latencyMs on its clock', async () => {
    const clock = new ManualClock();
    const transport = new MemoryTransport({ clock, latencyMs: 40 });
    echo(transport, 'memory://a');
    const { log, events } = recorder();
    const conn = transport.connect('memory://a', hello, events);
    await clock.advance(39);
    expect(conn.connected).toBe(false);
    await clock.advance(1);
    expect(conn.connected).toBe(true);
    expect(log).toEqual(['message 0']); // sent while admitting: delivered with the handshake
    conn.send(new Uint8Array([1]));
    await clock.advance(79); // there and back
    expect(log).toEqual(['message 0']);
    await clock.advance(1);
    expect(log).toEqual(['message 0', 'message 1']);
  });

  it('takes every delivery from a network: jittered in order, broken by a loss, ended by a cut', async () => {
    const clock = new ManualClock();
    const links = new LinkModel({ seed: 5, conditions: { latencyMs: 10, jitterMs: 30 } });
    const transport = new MemoryTransport({ clock, network: links });
    echo(transport, 'memory://a');
    const { log, events } = recorder();
    const conn = transport.connect('memory://a', hello, events);
    await clock.advance(9);
    expect(conn.connected).toBe(false);
    await clock.advance(31);
    expect(conn.connected).toBe(true);
    const sent = Array.from({ length: 20 }, (_, i) => i + 1);
    for (const i of sent) conn.send(new Uint8Array([i]));
    await clock.advance(200);
    expect(log).toEqual(['message 0', ...sent.map((i) => `message ${i}`)]);

    links.set('client', 'memory://a', { dropRate: 1 });
    conn.send(new Uint8Array([99])); // lost: the stream breaks
    expect(conn.connected).toBe(false);
    await clock.advance(40);
    expect(log.at(-1)).toBe('closed');
    links.set('client', 'memory://a', {});

    const again = recorder();
    const conn2 = transport.connect('memory://a', hello, again.events);
    await clock.advance(40);
    expect(conn2.connected).toBe(true);
    links.cut('memory://a', 'client'); // one way is enough to end it
    expect(conn2.connected).toBe(false);
    expect(await transport.probe('memory://a')).toBe(false);
    await clock.advance(40);
    expect(again.log).toEqual(['message 0', 'closed']);
    links.heal();
    expect(await transport.probe('memory://a')).toBe(true);
  });

  it('drops the messages a filter picks, in either direction', async () => {
    const transport = new MemoryTransport();
    echo(transport, 'memory://a');
    const { log, events } = recorder();
    const conn = transport.connect('memory://a', hello, events);
    await turn();
    transport.drop((_url, direction, bytes) => direction === 'to-client' && bytes[0] === 2);
    conn.send(new Uint8Array([1]));
    conn.send(new Uint8Array([2]));
    conn.send(new Uint8Array([3]));
    await turn();
    expect(log).toEqual(['message 0', 'message 1', 'message 3']);
  });

  it('a partition ends open connections and fails new ones until healed', async () => {
    const transport = new MemoryTransport();
    const peers = echo(transport, 'memory://a');
    let relaySawClose = false;
    const { log, events } = recorder();
    const conn = transport.connect('memory://a', hello, events);
    await turn();
    peers[0]!.onClose = () => {
      relaySawClose = true;
    };
    transport.partition('memory://a');
    expect(conn.connected).toBe(false);
    expect(relaySawClose).toBe(true);
    await turn();
    expect(log).toEqual(['message 0', 'closed']);
    expect(await transport.probe('memory://a')).toBe(false);

    const again = recorder();
    transport.connect('memory://a', hello, again.events);
    await turn();
    expect(again.log).toEqual(['refused - memory://a is unreachable']);

    transport.partition('memory://a', false);
    const healed = recorder();
    const conn2 = transport.connect('memory://a', hello, healed.events);
    await turn();
    expect(conn2.connected).toBe(true);
    expect(transport.openConnections('memory://a')).toBe(1);
  });

  it('a connection the client closes tells the relay, and the client nothing', async () => {
    const transport = new MemoryTransport();
    const peers = echo(transport, 'memory://a');
    const { log, events } = recorder();
    const conn = transport.connect('memory://a', hello, events);
    await turn();
    let closed = false;
    peers[0]!.onClose = () => {
      closed = true;
    };
    conn.close();
    conn.send(new Uint8Array([1]));
    await turn();
    expect(closed).toBe(true);
    expect(log).toEqual(['message 0']);
    expect(transport.openConnections()).toBe(0);
  });
});
