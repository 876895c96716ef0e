import { once } from 'node:events';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { LinkModel } from './link-model.js';
import { TcpProxy } from './tcp-proxy.js';

/** A loopback server that echoes every byte and remembers what it received. */
async function echoServer(): Promise<{ server: Server; port: number; received: Buffer[] }> {
  const received: Buffer[] = [];
  const server = createServer((s) => {
    s.on('error', () => {}); // a reset connection (resetConnections) is expected
    s.on('data', (chunk) => {
      received.push(chunk);
      s.write(chunk);
    });
  });
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

  it('a lost segment stalls its direction for the RTO, holding later chunks, losing nothing', async () => {
    const { proxy, echo } = await setup(
      (port) => new TcpProxy(port, { segmentLoss: { rate: 1, stallMs: 150 } }),
    );
    const { socket, echoed } = await dial(proxy);
    const start = performance.now();
    let firstAt = 0;
    socket.write('a');
    await new Promise((r) => setTimeout(r, 20));
    proxy.segmentLoss = undefined; // 'b' itself is not lost, but waits behind 'a'
    socket.write('b');
    await until(() => {
      if (firstAt === 0 && echo.received.length > 0) firstAt = performance.now();
      return Buffer.concat(echo.received).toString() === 'ab';
    });
    expect(firstAt - start).toBeGreaterThanOrEqual(140);
    await until(() => echoed() === 'ab');
    expect([proxy.segmentsLost, proxy.connections]).toEqual([1, 1]);
  });

  it("the default stall is the RTT plus Linux's 200 ms minimum RTO", () => {
    const links = new LinkModel({ seed: 1 });
    links.set('client', 'target', { latencyMs: 30, jitterMs: 10 });
    links.set('target', 'client', { latencyMs: 20 });
    const proxy = new TcpProxy(1, { links, segmentLoss: { rate: 0.03 } });
    expect(proxy.rtoMs()).toBe(255);
    proxy.segmentLoss = { rate: 0.03, stallMs: 400 };
    expect(proxy.rtoMs()).toBe(400);
    return proxy.close();
  });

  it('loses chunks at the seeded rate without breaking the stream', async () => {
    const { proxy } = await setup(
      (port) =>
        new TcpProxy(port, {
          links: new LinkModel({ seed: 3 }),
          segmentLoss: { rate: 0.2, stallMs: 5 },
        }),
    );
    const { socket, echoed } = await dial(proxy);
    let expected = '';
    for (let i = 0; i < 40; i++) {
      socket.write(`${i},`);
      expected += `${i},`;
      await new Promise((r) => setTimeout(r, 2));
    }
    await until(() => echoed() === expected);
    expect(proxy.segmentsLost).toBeGreaterThan(0);
    expect(proxy.connections).toBe(1);
  });

  it("a blackout holds both directions; after heal they resume at the sender's next retransmission", async () => {
    const { proxy, echo } = await setup(
      (port) => new TcpProxy(port, { segmentLoss: { rate: 0, stallMs: 100 } }),
    );
    const { socket, echoed } = await dial(proxy);
    proxy.blackout();
    const start = performance.now();
    socket.write('x');
    await new Promise((r) => setTimeout(r, 150));
    expect(echo.received.length).toBe(0);
    proxy.heal(); // retransmissions at 100 and 300 ms: the one at 300 gets through
    await until(() => echoed() === 'x');
    const took = performance.now() - start;
    expect(took).toBeGreaterThanOrEqual(290);
    expect(took).toBeLessThan(1_000);
    expect(proxy.connections).toBe(1);
  });

  it('resetting the connections ends live ones and accepts new ones', async () => {
    const { proxy } = await setup();
    const { socket } = await dial(proxy);
    // A reset: the socket errors (ECONNRESET) before it closes, which `once` would reject on.
    const ended = new Promise((resolve) => socket.once('close', resolve));
    proxy.resetConnections();
    await ended;
    expect(proxy.isCut).toBe(false);
    const again = await dial(proxy);
    again.socket.write('back');
    await until(() => again.echoed() === 'back');
    expect(proxy.connections).toBe(2);
  });
});
