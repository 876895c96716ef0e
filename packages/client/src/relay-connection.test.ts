import { GCounter } from '@helios/core';
import { describe, expect, it } from 'vitest';
import { RelayConnection } from './relay-connection.js';
import { ManualClock } from './test-support/manual-clock.js';
import { MemoryRelay } from './test-support/memory-relay.js';
import { MemoryTransport } from './transport/memory-transport.js';

/** A connection over relays a, b and c in memory, on a manual clock; its states, recorded. */
function setup(up: readonly string[] = ['a', 'b', 'c'], random?: () => number) {
  const clock = new ManualClock();
  const transport = new MemoryTransport({ clock });
  const urls = ['a', 'b', 'c'].map((r) => `memory://${r}`);
  const relays: MemoryRelay[] = [];
  const start = (region: string) => {
    const relay = new MemoryRelay(transport, { url: `memory://${region}`, region, clock });
    relays.push(relay);
    return relay;
  };
  for (const region of up) start(region);
  // Every dial, as the transport sees it.
  const attempts: { url: string; at: number }[] = [];
  const dial = transport.connect.bind(transport);
  transport.connect = (url, hello, events) => {
    attempts.push({ url, at: clock.now() });
    return dial(url, hello, events);
  };
  const welcomes: string[] = [];
  const connection = new RelayConnection({
    transport,
    clock,
    relays: urls,
    token: () => undefined,
    replicas: () => ['r1'],
    homeProbeMs: 1_000,
    ...(random && { random }),
    onWelcome: (welcome) => welcomes.push(welcome.region),
    onMessage: () => {},
    onState: () => {},
    onRefused: () => {},
  });
  return { clock, transport, connection, start, relays, attempts, welcomes, t0: clock.now() };
}

describe('RelayConnection', () => {
  it('dials home first and, while it is unreachable, the next relay after 50 ms', async () => {
    const { clock, connection, attempts, welcomes, t0 } = setup(['b', 'c']);
    connection.start();
    await clock.until(() => welcomes.length === 1, 'a welcome');
    expect(welcomes).toEqual(['b']);
    expect(connection.url).toBe('memory://b');
    expect(attempts.map((a) => [a.url, a.at - t0])).toEqual([
      ['memory://a', 0],
      ['memory://b', 50],
    ]);
    connection.close();
  });

  it('backs off once every relay failed: 250 ms, then doubling up to 5 s', async () => {
    // The jitter's lowest draw: each delay is its whole step.
    const { clock, connection, attempts, t0 } = setup([], () => 0);
    connection.start();
    await clock.until(() => attempts.length >= 13, 'thirteen attempts');
    const gaps = attempts.slice(1).map((a, i) => a.at - attempts[i]!.at);
    expect(gaps).toEqual([50, 50, 250, 250, 250, 500, 500, 500, 1_000, 1_000, 1_000, 2_000]);
    expect(attempts.slice(0, 4).map((a) => a.url)).toEqual([
      'memory://a',
      'memory://b',
      'memory://c',
      'memory://a',
    ]);
    expect(attempts.at(-1)!.at - t0).toBe(7_350);
    connection.close();
  });

  it('draws each backoff from the upper half of its step', async () => {
    const { clock, connection, attempts } = setup([], () => 0.999_999);
    connection.start();
    await clock.until(() => attempts.length >= 10, 'ten attempts');
    const gaps = attempts.slice(1).map((a, i) => a.at - attempts[i]!.at);
    expect(gaps.map(Math.round)).toEqual([50, 50, 125, 125, 125, 250, 250, 250, 500]);
    connection.close();
  });

  it('brings a crowd back to a restarted relay as a stream, not all in one millisecond', async () => {
    const clock = new ManualClock();
    const transport = new MemoryTransport({ clock });
    const welcomed: number[] = [];
    const crowd = Array.from(
      { length: 200 },
      (_, i) =>
        new RelayConnection({
          transport,
          clock,
          relays: ['memory://a'],
          token: () => undefined,
          replicas: () => [`r${i}`],
          onWelcome: () => welcomed.push(clock.now()),
          onMessage: () => {},
          onState: () => {},
          onRefused: () => {},
        }),
    );
    const t0 = clock.now();
    for (const connection of crowd) connection.start();
    // The relay starts between the crowd's second and third dials (at 250 and 750 ms without
    // jitter: then everyone came back at 1,750 ms, in the same millisecond).
    await clock.advance(800);
    new MemoryRelay(transport, { url: 'memory://a', region: 'a', clock });
    await clock.until(() => welcomed.length === crowd.length, 'the crowd back');
    const back = welcomed.map((at) => at - t0);
    expect(Math.max(...back)).toBeLessThanOrEqual(1_750);
    expect(new Set(back).size).toBeGreaterThan(100);
    const soon = back.filter((ms) => ms < 1_300).length;
    expect(soon).toBeGreaterThan(20);
    for (const connection of crowd) connection.close();
  });

  it('while away, probes home every homeProbeMs and goes back as soon as it answers', async () => {
    const { clock, connection, start, welcomes } = setup(['b']);
    connection.start();
    await clock.until(() => welcomes.length === 1, 'on b');
    await clock.advance(10_000); // home stays down: no switch
    expect(welcomes).toEqual(['b']);
    start('a');
    const back = clock.now();
    await clock.until(() => welcomes.length === 2, 'back home');
    expect(welcomes).toEqual(['b', 'a']);
    expect(clock.now() - back).toBeLessThanOrEqual(1_000);
    expect(connection.url).toBe('memory://a');
    connection.close();
  });

  it('fails over when the relay in use goes away, and sends nothing while disconnected', async () => {
    const { clock, transport, connection, welcomes } = setup(['a', 'b']);
    connection.start();
    await clock.until(() => welcomes.length === 1, 'on a');
    transport.unlisten('memory://a');
    expect(connection.send({ kind: 'ack', ids: [] })).toBe(false);
    await clock.until(() => welcomes.length === 2, 'on b');
    expect(welcomes).toEqual(['a', 'b']);
    expect(connection.connected).toBe(true);
    connection.close();
    expect(transport.openConnections()).toBe(0);
  });

  it('pushes at most 200 entries per message, and nothing while disconnected', async () => {
    const { clock, connection, relays, welcomes } = setup(['a']);
    const delta = GCounter.encode(GCounter.increment(GCounter.empty(), { replica: 'r1' }, 1));
    const entries = Array.from({ length: 450 }, (_, i) => ({ id: i + 1, doc: 'likes', delta }));
    connection.push(entries); // not connected yet: dropped, the outbox pushes them again
    connection.start();
    await clock.until(() => welcomes.length === 1, 'on a');
    connection.push(entries);
    await clock.advance(0);
    const pushes = relays[0]!.received.filter((m) => m.kind === 'push');
    expect(pushes.map((m) => (m.kind === 'push' ? m.entries.length : 0))).toEqual([200, 200, 50]);
    connection.close();
  });
});
