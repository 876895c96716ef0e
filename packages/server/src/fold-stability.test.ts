import { DEFAULT_DECODE_LIMITS } from '@helios/core';
import fc from 'fast-check';
import { pino } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { type Closure, type PeerClosure, stableFrontier } from './fold-stability.js';
import type { PeerChannel } from './peer-channel.js';
import { RegionClosure, ratchet } from './region-closure.js';
import { Replication } from './replication.js';
import { MemoryStore } from './store/memory-store.js';

const PEERS = ['eu-west-1', 'sa-east-1'];
const own: Closure = { below: 3, upTo: 50 };
const merged = (region: string, receipt: Closure | undefined, mergedUpTo: number) => ({
  region,
  receipt,
  mergedUpTo,
});

describe('the stability rule', () => {
  it('folds nothing while a peer region has sent no closure receipt', () => {
    const peers = [merged('eu-west-1', { below: 3, upTo: 10 }, 10)];
    expect(stableFrontier(own, PEERS, peers)).toBe(0);
    expect(stableFrontier(own, PEERS, [...peers, merged('sa-east-1', undefined, 999)])).toBe(0);
  });

  it("folds nothing while a peer's feed is not merged up to its receipt", () => {
    const peers = [merged('eu-west-1', { below: 3, upTo: 10 }, 10)];
    expect(
      stableFrontier(own, PEERS, [...peers, merged('sa-east-1', { below: 3, upTo: 8 }, 7)]),
    ).toBe(0);
    expect(
      stableFrontier(own, PEERS, [...peers, merged('sa-east-1', { below: 3, upTo: 8 }, 8)]),
    ).toBe(3);
  });

  it('folds nothing before this region closed, and no further than the least closed region', () => {
    const peers = [
      merged('eu-west-1', { below: 5, upTo: 1 }, 1),
      merged('sa-east-1', { below: 2, upTo: 0 }, 0),
    ];
    expect(stableFrontier(undefined, PEERS, peers)).toBe(0);
    expect(stableFrontier(own, PEERS, peers)).toBe(2);
    expect(stableFrontier({ below: 1, upTo: 0 }, PEERS, peers)).toBe(1);
    expect(stableFrontier(own, [], [])).toBe(3); // a region alone is every region
  });

  it('never names a frontier some region has not closed or whose writes are not all merged here', () => {
    const receipt = fc.option(
      fc.record({ below: fc.integer({ min: 1, max: 9 }), upTo: fc.nat(20) }),
      {
        nil: undefined,
      },
    );
    const peer = (region: string) =>
      fc.record({ region: fc.constant(region), receipt, mergedUpTo: fc.nat(20) });
    fc.assert(
      fc.property(
        fc.option(fc.record({ below: fc.integer({ min: 1, max: 9 }), upTo: fc.nat(20) }), {
          nil: undefined,
        }),
        fc.tuple(peer('eu-west-1'), peer('sa-east-1')),
        (mine, peers: PeerClosure[]) => {
          const frontier = stableFrontier(mine, PEERS, peers);
          if (frontier === 0) return;
          expect(frontier).toBeLessThanOrEqual(mine!.below);
          for (const p of peers) {
            expect(p.receipt).toBeDefined();
            expect(p.mergedUpTo).toBeGreaterThanOrEqual(p.receipt!.upTo);
            expect(frontier).toBeLessThanOrEqual(p.receipt!.below);
          }
        },
      ),
    );
  });
});

function fakeChannel(): PeerChannel & { sent: unknown[]; close(): void } {
  const sent: unknown[] = [];
  const closers: (() => void)[] = [];
  return {
    sent,
    open: true,
    send: (message) => sent.push(message) && 1,
    onMessage: () => {},
    onClose: (listener) => closers.push(listener),
    close: () => {
      for (const c of closers) c();
    },
  };
}

describe("a region's closure receipt", () => {
  it('names the feed head after the commits queued before the retirement, for every peer', async () => {
    let retired = 0;
    let head = 7;
    let drained: () => void = () => {};
    const closed = vi.fn();
    const closure = new RegionClosure({
      retiredBelow: ratchet(() => retired),
      drain: () =>
        new Promise<void>((resolve) => {
          drained = resolve;
        }),
      head: async () => head,
      shared: false,
      logger: pino({ level: 'silent' }),
      now: () => 1000,
      closed,
    });
    const early = fakeChannel();
    closure.serve(early);
    await closure.check();
    expect(early.sent).toEqual([]); // nothing retired: no receipt
    retired = 2;
    const checking = closure.check();
    head = 9; // a commit queued before the retirement lands while the queue drains
    drained();
    await checking;
    expect(closure.current).toEqual({ below: 2, upTo: 9, at: 1000 });
    expect(early.sent).toEqual([{ kind: 'feed-closed', below: 2, upTo: 9 }]);
    expect(closed).toHaveBeenCalledWith(2);
    const late = fakeChannel();
    closure.serve(late);
    expect(late.sent).toEqual([{ kind: 'feed-closed', below: 2, upTo: 9 }]);
    // The setting lowered by mistake: the relay keeps refusing what it closed.
    retired = 1;
    const again = closure.check();
    drained();
    await again;
    expect(closure.current?.below).toBe(2);
  });

  it("names the store's feed head even when this node has committed nothing since a restart", async () => {
    const store = new MemoryStore({ region: 'us-east-1' });
    const change = (doc: string, origin: string) => ({ doc, delta: new Uint8Array([1]), origin });
    await store.commit({ changes: [change('a', 'us-east-1'), change('b', 'eu-west-1')] });
    const [last] = await store.commit({ changes: [change('c', 'us-east-1')] });
    await store.commit({ changes: [change('d', 'eu-west-1')] }); // a peer's: not in the feed
    const outlet = {
      announce: () => {},
      announceRegion: () => {},
      regionTrailWanted: () => false,
      peerAcked: () => {},
      peerRewound: () => {},
    };
    const fresh = new Replication(
      store,
      ['eu-west-1'],
      DEFAULT_DECODE_LIMITS,
      pino({ level: 'silent' }),
      outlet,
    );
    expect(await fresh.feedHead()).toBe(last);
  });

  it('is never announced by a region of several nodes', async () => {
    const closure = new RegionClosure({
      retiredBelow: () => 4,
      drain: async () => {},
      head: async () => 1,
      shared: true,
      logger: pino({ level: 'silent' }),
      now: () => 0,
      closed: () => {},
    });
    await closure.check();
    expect(closure.current).toBeUndefined();
  });
});
