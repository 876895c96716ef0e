import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PROTOCOL_VERSION } from '@helios/core/protocol';
import { Server, type Socket } from 'socket.io';
import { afterEach, describe, expect, it } from 'vitest';
import { SocketIoTransport } from './socket-io-transport.js';
import { MESSAGE_EVENT, socketParser } from './socket-parser.js';
import type { TransportConnection, TransportEvents } from './transport.js';

const hello = { protocol: PROTOCOL_VERSION, replicas: ['r1'] };

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close();
});

/**
 * A bare Socket.IO server with Helios's parser, standing in for a relay: it refuses handshakes
 * whose auth has `refuse`, and hands each admitted socket to the test.
 */
async function fakeRelay() {
  const http: HttpServer = createServer((req, res) => {
    res.writeHead(req.url === '/healthz' ? 200 : 404).end();
  });
  const io = new Server(http, { parser: socketParser, transports: ['websocket'] });
  const sockets: Socket[] = [];
  io.use((socket, next) => {
    const { refuse: code, retiredBelow } = socket.handshake.auth as {
      refuse?: string;
      retiredBelow?: unknown;
    };
    if (code === undefined) return next();
    next(Object.assign(new Error('go away'), { data: { code, retiredBelow } }));
  });
  io.on('connection', (socket) => sockets.push(socket));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  cleanup.push(() => new Promise((resolve) => io.close(() => resolve(undefined))));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  return { url, sockets, auths: () => sockets.map((s) => s.handshake.auth) };
}

/** Everything a connection reports. */
function recorder() {
  const seen = { messages: [] as Uint8Array[], refused: [] as object[], closed: 0 };
  const events: TransportEvents = {
    message: (bytes) => seen.messages.push(bytes),
    refused: (error) => seen.refused.push(error),
    closed: () => seen.closed++,
  };
  return { seen, events };
}

/** Resolves once `check` holds; fails the test after 5 s. */
async function until(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function dial(url: string, auth: object, events: TransportEvents): TransportConnection {
  const connection = new SocketIoTransport().connect(url, auth as typeof hello, events);
  cleanup.push(() => connection.close());
  return connection;
}

describe('SocketIoTransport', () => {
  it('sends the handshake as it is and carries bytes both ways, one frame each', async () => {
    const relay = await fakeRelay();
    const { seen, events } = recorder();
    const connection = dial(relay.url, hello, events);
    await until(() => relay.sockets.length === 1);
    expect(relay.auths()).toEqual([hello]);
    const received: unknown[] = [];
    relay.sockets[0]!.on(MESSAGE_EVENT, (payload) => received.push(payload));
    relay.sockets[0]!.emit(MESSAGE_EVENT, Uint8Array.of(1, 2, 3));
    await until(() => seen.messages.length === 1);
    expect(seen.messages[0]).toEqual(Uint8Array.of(1, 2, 3));
    expect(connection.connected).toBe(true);
    connection.send(Uint8Array.of(9));
    await new Promise((r) => setTimeout(r, 50));
    expect(received.map((p) => Uint8Array.from(p as Uint8Array))).toEqual([Uint8Array.of(9)]);
  });

  it('drops a payload that is not bytes', async () => {
    const relay = await fakeRelay();
    const { seen, events } = recorder();
    dial(relay.url, hello, events);
    await until(() => relay.sockets.length === 1);
    relay.sockets[0]!.emit(MESSAGE_EVENT, 'not bytes');
    relay.sockets[0]!.emit(MESSAGE_EVENT, Uint8Array.of(7));
    await until(() => seen.messages.length === 1);
    expect(seen.messages).toEqual([Uint8Array.of(7)]);
  });

  it("reports a relay's refusal with its code, and an unreachable relay without one", async () => {
    const relay = await fakeRelay();
    const refusedByRelay = recorder();
    dial(relay.url, { ...hello, refuse: 'unauthenticated' }, refusedByRelay.events);
    await until(() => refusedByRelay.seen.refused.length === 1);
    expect(refusedByRelay.seen.refused).toEqual([{ code: 'unauthenticated', message: 'go away' }]);

    // A retirement refusal carries the bound; a value that cannot be one is left out.
    const retired = recorder();
    dial(relay.url, { ...hello, refuse: 'replica-retired', retiredBelow: 4 }, retired.events);
    for (const bad of [0, 65_537, 1.5, '4', null]) {
      dial(relay.url, { ...hello, refuse: 'replica-retired', retiredBelow: bad }, retired.events);
    }
    await until(() => retired.seen.refused.length === 6);
    expect(retired.seen.refused).toContainEqual({
      code: 'replica-retired',
      message: 'go away',
      retiredBelow: 4,
    });
    expect(retired.seen.refused.filter((r) => 'retiredBelow' in r)).toHaveLength(1);

    const unreachable = recorder();
    dial('http://127.0.0.1:1', hello, unreachable.events);
    await until(() => unreachable.seen.refused.length === 1);
    expect(unreachable.seen.refused[0]).not.toHaveProperty('code');
    expect(unreachable.seen.closed).toBe(0);
  });

  it('reports closed when the relay ends an open connection, and nothing after close()', async () => {
    const relay = await fakeRelay();
    const ended = recorder();
    const first = dial(relay.url, hello, ended.events);
    await until(() => relay.sockets.length === 1);
    relay.sockets[0]!.disconnect(true);
    await until(() => ended.seen.closed === 1);
    expect(first.connected).toBe(false);

    const closedHere = recorder();
    const second = dial(relay.url, hello, closedHere.events);
    await until(() => relay.sockets.length === 2);
    second.close();
    await new Promise((r) => setTimeout(r, 50));
    expect(closedHere.seen).toEqual({ messages: [], refused: [], closed: 0 });
  });

  it("probes a relay's /healthz", async () => {
    const relay = await fakeRelay();
    const transport = new SocketIoTransport();
    expect(await transport.probe(relay.url)).toBe(true);
    expect(await transport.probe('http://127.0.0.1:1')).toBe(false);
  });
});
