import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NetworkSim, type NetworkSimOptions } from './network-sim.js';

type Delivery = [to: number, from: number, msg: number];

/** A network of 4 nodes where each node broadcasts `rounds` numbered messages, delivered as it goes. */
function schedule(options: Omit<NetworkSimOptions, 'nodes'>, rounds = 10): Delivery[] {
  const log: Delivery[] = [];
  const net = new NetworkSim<number>({ ...options, nodes: 4 }, (to, from, msg) =>
    log.push([to, from, msg]),
  );
  for (let i = 0; i < rounds; i++) {
    net.broadcast(i % 4, i);
    net.run(net.rng.int(3));
  }
  net.run();
  return log;
}

describe('NetworkSim', () => {
  it('replays a schedule exactly from its seed', () => {
    fc.assert(
      fc.property(fc.nat(), (seed) => {
        expect(schedule({ seed })).toEqual(schedule({ seed }));
      }),
      { numRuns: 50 },
    );
  });

  it('without faults, delivers every message once, in order per link', () => {
    fc.assert(
      fc.property(fc.nat(), (seed) => {
        const log = schedule(
          { seed, dropRate: 0, duplicateRate: 0, reorderRate: 0, jitterMs: 0 },
          12,
        );
        expect(log).toHaveLength(12 * 3);
        for (let to = 0; to < 4; to++) {
          for (let from = 0; from < 4; from++) {
            const msgs = log.filter(([t, f]) => t === to && f === from).map(([, , m]) => m);
            expect(msgs).toEqual([...msgs].sort((a, b) => a - b));
          }
        }
      }),
      { numRuns: 50 },
    );
  });

  it('loses, duplicates and reorders by default, and counts it', () => {
    const net = new NetworkSim<number>({ seed: 42, nodes: 3 }, () => {});
    for (let i = 0; i < 200; i++) net.broadcast(i % 3, i);
    net.run();
    const { sent, dropped, duplicated, delivered, reordered } = net.stats;
    expect(sent).toBe(400);
    expect(dropped).toBeGreaterThan(0);
    expect(duplicated).toBeGreaterThan(0);
    expect(reordered).toBeGreaterThan(0);
    expect(delivered).toBeGreaterThan(sent - dropped);
    expect(net.pending()).toBe(0);
  });

  it('holds what is in flight across a partition until it heals, and loses what is sent across it', () => {
    const log: Delivery[] = [];
    const net = new NetworkSim<number>(
      { seed: 3, nodes: 3, dropRate: 0, duplicateRate: 0 },
      (to, from, msg) => log.push([to, from, msg]),
    );
    net.send(0, 2, 1);
    net.partition([[0, 1], [2]]);
    expect(net.canReach(0, 2)).toBe(false);
    net.send(0, 2, 2); // lost
    net.send(0, 1, 3);
    expect(net.run()).toBe(1);
    expect(log).toEqual([[1, 0, 3]]);
    expect(net.pending()).toBe(1);
    net.heal();
    net.run();
    expect(log).toEqual([
      [1, 0, 3],
      [2, 0, 1],
    ]);
    expect(net.stats.dropped).toBe(1);
  });

  it('clear forgets what is in flight', () => {
    const net = new NetworkSim<number>({ seed: 1, nodes: 2, dropRate: 0 }, () => {
      throw new Error('nothing is delivered');
    });
    net.send(0, 1, 1);
    net.clear();
    expect(net.pending()).toBe(0);
    expect(net.step()).toBe(false);
  });
});
