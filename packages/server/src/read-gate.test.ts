import { once } from 'node:events';
import { createConnection, createServer, type Socket as TcpSocket } from 'node:net';
import type { Socket } from 'socket.io';
import { afterEach, describe, expect, it } from 'vitest';
import { ReadGate } from './read-gate.js';

const open: { close(): unknown }[] = [];
afterEach(() => {
  for (const c of open.splice(0)) c.close();
});

/** A loopback TCP connection: the relay's side and the peer's. */
async function connection(): Promise<{ relaySide: TcpSocket; peer: TcpSocket }> {
  const server = createServer();
  open.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  const peer = createConnection(port, '127.0.0.1');
  peer.on('error', () => {}); // a reset when the relay destroys its side
  const [relaySide] = (await once(server, 'connection')) as [TcpSocket];
  open.push({ close: () => peer.destroy() });
  return { relaySide, peer };
}

/** A Socket.IO socket over a WebSocket (as `ws` holds it) on `tcp`, as ReadGate sees it. */
function socketOver(tcp: TcpSocket): Socket {
  const transport = { name: 'websocket', socket: { _socket: tcp } };
  return { conn: { transport }, request: { socket: tcp } } as unknown as Socket;
}

describe('ReadGate.abandon', () => {
  it('never reads the connection again, and destroys it after the grace', async () => {
    const { relaySide, peer } = await connection();
    let parsed = 0;
    relaySide.on('data', (chunk: Buffer) => {
      parsed += chunk.length; // the WebSocket's parser, as `ws` attaches it
    });
    peer.write(Buffer.alloc(1024));
    await new Promise((r) => setTimeout(r, 50));
    expect(parsed).toBe(1024); // read while open
    new ReadGate(socketOver(relaySide)).abandon(200);
    peer.write(Buffer.alloc(256 * 1024));
    const started = performance.now();
    await new Promise((r) => peer.once('close', r)); // a reset: its flood was left unread
    expect(parsed).toBe(1024);
    // The rest stayed in the kernel, but for a paused stream's read-ahead (its high-water mark).
    expect(relaySide.bytesRead).toBeLessThanOrEqual(1024 + 64 * 1024);
    expect(performance.now() - started).toBeGreaterThanOrEqual(150);
  });

  it("lets the peer read the relay's last frames before it is destroyed", async () => {
    const { relaySide, peer } = await connection();
    let received = '';
    peer.on('data', (chunk: Buffer) => {
      received += chunk.toString();
    });
    peer.write(Buffer.alloc(4 * 1024 * 1024)); // a flood the relay will not read
    relaySide.write('rate-limited');
    new ReadGate(socketOver(relaySide)).abandon(200);
    // The peer sees a reset (the relay left its flood unread), after the relay's last frames.
    await new Promise((r) => peer.once('close', r));
    expect(received).toBe('rate-limited');
  });
});

describe('ReadGate.abandon after an upgrade from long-polling', () => {
  it('reads the connection to its end instead: the handshake socket is not the WebSocket’s', async () => {
    const { relaySide, peer } = await connection();
    let parsed = 0;
    relaySide.on('data', (chunk: Buffer) => {
      parsed += chunk.length;
    });
    // The WebSocket runs on another TCP connection than the handshake's (here: the same one, to
    // see it read), which ReadGate stops and restarts through the WebSocket.
    const ws = { _socket: {}, pause: () => relaySide.pause(), resume: () => relaySide.resume() };
    const upgraded = {
      conn: { transport: { name: 'websocket', socket: ws } },
      request: { socket: relaySide },
    } as unknown as Socket;
    const gate = new ReadGate(upgraded);
    gate.set(false);
    gate.abandon(200);
    peer.write(Buffer.alloc(1024));
    await new Promise((r) => setTimeout(r, 300));
    expect(parsed).toBe(1024);
    expect(relaySide.destroyed).toBe(false);
  });
});
