import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { LinkModel } from './link-model.js';
import { UdpProxy } from './udp-proxy.js';

/** A loopback UDP server that echoes every datagram and remembers each sender's port. */
async function echoServer(): Promise<{ socket: Socket; port: number; senders: number[] }> {
  const senders: number[] = [];
  const socket = createSocket('udp4');
  socket.on('message', (msg, rinfo) => {
    senders.push(rinfo.port);
    socket.send(msg, rinfo.port, rinfo.address);
  });
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  return { socket, port: socket.address().port, senders };
}

const open: (Socket | UdpProxy)[] = [];
afterEach(async () => {
  for (const x of open.splice(0).reverse()) {
    if (x instanceof UdpProxy) await x.close();
    else x.close();
  }
});

async function setup(proxy: (port: number) => UdpProxy = (port) => new UdpProxy(port)) {
  const echo = await echoServer();
  const p = proxy(echo.port);
  open.push(echo.socket, p);
  await p.listen();
  return { echo, proxy: p };
}

/** A client socket of `proxy` that records what comes back (as strings, with arrival times). */
async function client(proxy: UdpProxy) {
  const socket = createSocket('udp4');
  open.push(socket);
  const got: { text: string; at: number }[] = [];
  socket.on('message', (msg) => got.push({ text: msg.toString(), at: performance.now() }));
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  return { send: (text: string) => socket.send(text, proxy.port, '127.0.0.1'), got };
}

const until = async (check: () => boolean): Promise<void> => {
  const end = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('UdpProxy', () => {
  it('forwards both ways with one upstream socket per client flow, and counts', async () => {
    const { proxy, echo } = await setup();
    const a = await client(proxy);
    const b = await client(proxy);
    a.send('hello');
    await until(() => a.got.length === 1);
    b.send('hi');
    a.send('again');
    await until(() => a.got.length === 2 && b.got.length === 1);
    expect(a.got.map((g) => g.text)).toEqual(['hello', 'again']);
    expect(b.got.map((g) => g.text)).toEqual(['hi']);
    expect(proxy.flows).toBe(2);
    expect(new Set(echo.senders).size).toBe(2); // the target sees one source port per flow
    expect(echo.senders).not.toContain(proxy.port);
    expect(proxy.up).toEqual({ datagrams: 3, bytes: 12, dropped: 0 });
    expect(proxy.down).toEqual({ datagrams: 3, bytes: 12, dropped: 0 });
  });

  it('listens on the port it is given', async () => {
    const echo = await echoServer();
    const probe = createSocket('udp4');
    probe.bind(0, '127.0.0.1');
    await once(probe, 'listening');
    const port = probe.address().port;
    probe.close();
    const proxy = new UdpProxy(echo.port);
    open.push(echo.socket, proxy);
    expect(await proxy.listen(port)).toBe(port);
  });

  it("delays each direction by the model's latency and jitter", async () => {
    const links = new LinkModel({ seed: 7 });
    links.set('client', 'target', { latencyMs: 60, jitterMs: 10 });
    links.set('target', 'client', { latencyMs: 40 });
    const { proxy } = await setup((port) => new UdpProxy(port, { links }));
    const c = await client(proxy);
    const sent = performance.now();
    c.send('x');
    await until(() => c.got.length === 1);
    const rtt = (c.got[0]?.at ?? 0) - sent;
    expect(rtt).toBeGreaterThanOrEqual(99);
    expect(rtt).toBeLessThan(200);
  });

  it('jitter reorders datagrams, unless the proxy is ordered (one path each way)', async () => {
    const arrivalOrder = async (ordered: boolean) => {
      const links = new LinkModel({ seed: 3 });
      links.set('client', 'target', { latencyMs: 5, jitterMs: 30 });
      const { proxy } = await setup((port) => new UdpProxy(port, { links, ordered }));
      const c = await client(proxy);
      for (let i = 0; i < 20; i++) c.send(String(i));
      await until(() => c.got.length === 20);
      return c.got.map((g) => Number(g.text));
    };
    const inOrder = Array.from({ length: 20 }, (_, i) => i);
    expect(await arrivalOrder(false)).not.toEqual(inOrder);
    expect(await arrivalOrder(true)).toEqual(inOrder);
  });

  it('loses datagrams at the seeded rate, the same ones for the same seed', async () => {
    const lost: number[] = [];
    for (let round = 0; round < 2; round++) {
      const links = new LinkModel({ seed: 42 });
      links.set('client', 'target', { dropRate: 0.3 });
      const { proxy, echo } = await setup((port) => new UdpProxy(port, { links }));
      const c = await client(proxy);
      for (let i = 0; i < 200; i++) c.send(`m${i}`);
      await until(() => proxy.up.datagrams + proxy.up.dropped === 200);
      await until(() => c.got.length === proxy.up.datagrams);
      expect(echo.senders.length).toBe(proxy.up.datagrams);
      lost.push(proxy.up.dropped);
    }
    expect(lost[0]).toBe(lost[1]);
    expect(lost[0]).toBeGreaterThan(30);
    expect(lost[0]).toBeLessThan(90);
  });

  it('a cut loses everything either way until healed', async () => {
    const { proxy, echo } = await setup();
    const c = await client(proxy);
    c.send('before');
    await until(() => c.got.length === 1);
    proxy.cut();
    expect(proxy.isCut).toBe(true);
    c.send('during');
    await sleep(50);
    expect(echo.senders.length).toBe(1);
    expect(proxy.up.dropped).toBe(1);
    proxy.heal();
    c.send('after');
    await until(() => c.got.length === 2);
    expect(c.got.map((g) => g.text)).toEqual(['before', 'after']);
  });

  it('a cut also loses what was in flight', async () => {
    const links = new LinkModel({ seed: 1, conditions: { latencyMs: 80 } });
    const { proxy, echo } = await setup((port) => new UdpProxy(port, { links }));
    const c = await client(proxy);
    c.send('doomed');
    await sleep(20);
    proxy.cut();
    await sleep(100);
    proxy.heal();
    expect(echo.senders.length).toBe(0);
    expect(proxy.up.dropped).toBe(1);
  });

  it('rebind gives each flow a new source port; replies still reach the client', async () => {
    const { proxy, echo } = await setup();
    const c = await client(proxy);
    c.send('one');
    await until(() => c.got.length === 1);
    await proxy.rebind();
    c.send('two');
    await until(() => c.got.length === 2);
    expect(echo.senders[0]).not.toBe(echo.senders[1]);
    expect(proxy.flows).toBe(1);
    expect(proxy.bindings).toBe(2);
    expect(c.got.map((g) => g.text)).toEqual(['one', 'two']);
  });

  it('after a rebind the target cannot reach the client through the old port', async () => {
    const { proxy, echo } = await setup();
    const c = await client(proxy);
    c.send('one');
    await until(() => c.got.length === 1);
    const oldPort = echo.senders[0] ?? 0;
    await proxy.rebind();
    echo.socket.send('stale', oldPort, '127.0.0.1');
    await sleep(50);
    expect(c.got.length).toBe(1);
  });
});
