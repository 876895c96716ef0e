import { once } from 'node:events';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { LinkModel } from './link-model.js';
import { TcpProxy } from './tcp-proxy.js';

/** A loopback server that echoes every byte and remembers what it received. */
async function echoServer(): Promise<{ server: Server; port: number; received: Buffer[] }> {
  const received: Buffer[] = [];
  const server = createServer((s) =>
    s.on('data', (chunk) => {
      received.push(chunk);
      s.write(chunk);
    }),
  );
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as { port: number }).port, received };
}

const open: (Server | TcpProxy | Socket)[] = [];
afterEach(async () => {
  for (const x of open.splice(0).reverse()) {
    if (x instanceof TcpProxy) await x.close();
    else if ('destroy' in x) x.destroy();
    else x.close();
  }
});

async function setup(proxy: (port: number) => TcpProxy = (port) => new TcpProxy(port)) {
  const echo = await echoServer();
  const p = proxy(echo.port);
  open.push(echo.server, p);
  await p.listen();
  return { echo, proxy: p };
}

async function dial(proxy: TcpProxy): Promise<{ socket: Socket; echoed: () => string }> {
  const socket = createConnection({ host: '127.0.0.1', port: proxy.port });
  open.push(socket);
  let text = '';
  socket.on('data', (chunk) => {
    text += chunk.toString();
  });
  socket.on('error', () => {});
  await once(socket, 'connect');
  return { socket, echoed: () => text };
}

const until = async (check: () => boolean): Promise<void> => {
  const end = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
};
const closed = (socket: Socket) => once(socket, 'close');

describe('TcpProxy', () => {
  it('forwards both ways and counts the bytes', async () => {
    const { proxy } = await setup();
    const { socket, echoed } = await dial(proxy);
    socket.write('hello');
    await until(() => echoed() === 'hello');
    expect([proxy.bytesUp, proxy.bytesDown, proxy.connections]).toEqual([5, 5, 1]);
  });

  it("delays the downstream by the model's latency, in order", async () => {
    const { proxy } = await setup();
    proxy.delayDownstream(150);
    expect(proxy.links.conditions('target', 'client').latencyMs).toBe(150);
    const { socket, echoed } = await dial(proxy);
    const start = performance.now();
    socket.write('a');
    await new Promise((r) => setTimeout(r, 20));
    socket.write('b');
    await until(() => echoed() === 'ab');
    expect(performance.now() - start).toBeGreaterThanOrEqual(140);
  });

  it('holding the downstream loses what the target sends while the upstream flows', async () => {
    const { proxy, echo } = await setup();
    const { socket, echoed } = await dial(proxy);
    proxy.holdDownstream();
    expect(proxy.isCut).toBe(false);
    socket.write('x');
    await until(() => echo.received.length === 1);
    await new Promise((r) => setTimeout(r, 50));
    expect(echoed()).toBe('');
  });

  it('a cut ends live connections and refuses new ones until healed', async () => {
    const { proxy } = await setup();
    const { socket } = await dial(proxy);
    const ended = closed(socket);
    proxy.cut();
    expect(proxy.isCut).toBe(true);
    await ended;
    const refused = await dial(proxy);
    await closed(refused.socket);
    proxy.heal();
    const again = await dial(proxy);
    again.socket.write('back');
    await until(() => again.echoed() === 'back');
    expect(proxy.connections).toBe(2);
  });

  it('obeys a shared model: an isolated end cuts it, a lost chunk breaks the stream', async () => {
    const links = new LinkModel({ seed: 1 });
    const { proxy } = await setup((port) => new TcpProxy(port, { links, from: 'a', to: 'b' }));
    const first = await dial(proxy);
    const ended = closed(first.socket);
    links.isolate('b');
    await ended;
    links.heal('b');
    links.set('a', 'b', { dropRate: 1 });
    const second = await dial(proxy);
    const broken = closed(second.socket);
    second.socket.write('lost');
    await broken;
    expect(second.echoed()).toBe('');
    await proxy.close();
    expect(links.reachable('a', 'b')).toBe(true); // closing leaves the model alone
  });
});
