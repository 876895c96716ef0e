import { createServer } from 'node:http';
import type { AddressInfo, Socket as TcpSocket } from 'node:net';
import { socketParser } from '@helios/transport';
import { Server, type Socket } from 'socket.io';
import { io as connect } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createSocketServer } from './relay-socket.js';
import { EVENT } from './wire.js';
import { coalesceWrites } from './write-coalescing.js';

const open: { close(): unknown }[] = [];
afterEach(() => {
  for (const c of open.splice(0).reverse()) c.close();
});

/** A Socket.IO server and one client; resolves with the server side of it. */
async function connected(
  coalesce: boolean,
  transports = ['websocket'],
): Promise<{ socket: Socket; received: number[][]; upgraded: Promise<void> }> {
  const http = createServer();
  const server = new Server(http);
  open.push(server);
  const accepted = new Promise<Socket>((resolve) => server.on('connection', resolve));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  const client = connect(`http://127.0.0.1:${port}`, { transports });
  open.push(client);
  const upgraded = new Promise<void>((resolve) =>
    client.io.engine.once('upgrade', () => resolve()),
  );
  const received: number[][] = [];
  client.on('m', (payload: ArrayBuffer) => received.push([...new Uint8Array(payload)]));
  const socket = await accepted;
  if (coalesce) coalesceWrites(socket.conn);
  return { socket, received, upgraded };
}

async function until(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
}

/** Counts the write calls that reach the connection's TCP socket (one per syscall). */
function countWrites(socket: Socket): () => number {
  const tcp = (socket.conn.transport as unknown as { socket: { _socket: TcpSocket } }).socket
    ._socket;
  let writes = 0;
  for (const method of ['_write', '_writev'] as const) {
    const original = tcp[method] as (...args: unknown[]) => void;
    (tcp as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
      writes++;
      original.apply(tcp, args);
    };
  }
  return () => writes;
}

async function sendFiveInOneTick(coalesce: boolean) {
  const { socket, received } = await connected(coalesce);
  const writes = countWrites(socket);
  for (let i = 0; i < 5; i++) socket.emit('m', new Uint8Array([i, i]));
  await until(() => received.length >= 5);
  return { writes: writes(), received };
}

describe('coalesceWrites', () => {
  it('puts the frames one tick sends into one write, same messages in the same order', async () => {
    const plain = await sendFiveInOneTick(false);
    const coalesced = await sendFiveInOneTick(true);
    const expected = [0, 1, 2, 3, 4].map((i) => [i, i]);
    expect(plain.received).toEqual(expected);
    expect(coalesced.received).toEqual(expected);
    // Two frames per binary message (header, attachment): Socket.IO alone writes them apart.
    expect(plain.writes).toBeGreaterThan(1);
    expect(coalesced.writes).toBe(1);
  });

  it('leaves long-polling alone and coalesces once the connection upgrades', async () => {
    const { socket, received, upgraded } = await connected(true, ['polling', 'websocket']);
    expect(socket.conn.transport.name).toBe('polling');
    for (let i = 0; i < 3; i++) socket.emit('m', new Uint8Array([i]));
    await upgraded;
    for (let i = 3; i < 6; i++) socket.emit('m', new Uint8Array([i]));
    await until(() => received.length >= 6);
    expect(received).toEqual([[0], [1], [2], [3], [4], [5]]);
  });
});

describe("the relay's Socket.IO server", () => {
  /**
   * Connects one client to a relay's socket server whose `connection` handler sends one message
   * at once (as the relay sends `welcome`); counts the server's writes to the client's TCP
   * socket, from the upgrade request until that message arrived.
   */
  async function handshakeWrites(origin?: string) {
    const http = createServer();
    const io = createSocketServer(http, 1024, ['http://allowed.example']);
    open.push(io);
    io.on('connection', (socket) => socket.emit(EVENT, Uint8Array.of(7)));
    let writes = 0;
    // Before engine.io's own listener: every write of the upgraded connection is counted.
    http.prependListener('upgrade', (_req, tcp: TcpSocket) => {
      for (const method of ['_write', '_writev'] as const) {
        const original = tcp[method] as (...args: unknown[]) => void;
        (tcp as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
          writes++;
          original.apply(tcp, args);
        };
      }
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const { port } = http.address() as AddressInfo;
    const client = connect(`http://127.0.0.1:${port}`, {
      transports: ['websocket'],
      parser: socketParser,
      reconnection: false,
      ...(origin !== undefined ? { extraHeaders: { origin } } : {}),
    });
    open.push(client);
    const outcome = await new Promise<number[] | Error>((resolve) => {
      client.on(EVENT, (payload: Uint8Array) => resolve([...payload]));
      client.on('connect_error', (err) => resolve(err));
    });
    return { outcome, writes };
  }

  it("sends Socket.IO's CONNECT reply and the first message in one write", async () => {
    const { outcome, writes } = await handshakeWrites();
    expect(outcome).toEqual([7]);
    // The 101 response, the open packet, then CONNECT with the message (apart: four writes).
    expect(writes).toBe(3);
  });

  it('still refuses an origin it does not allow', async () => {
    const { outcome } = await handshakeWrites('http://evil.example');
    expect(outcome).toBeInstanceOf(Error);
  });
});
