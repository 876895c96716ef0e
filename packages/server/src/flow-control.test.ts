import { encodeMessage } from '@helios/core';
import { describe, expect, it } from 'vitest';
import { FairScheduler, type Turn, type Worker } from './fair-scheduler.js';
import { Inbox } from './inbox.js';
import { DEFAULT_LIMITS } from './options.js';
import { OverBudgetClock } from './over-budget.js';
import { TokenBucket } from './rate-limiter.js';
import { ReplyCap } from './reply-cap.js';
import { UserLimits } from './user-limits.js';

/**
 * The pieces that bound what one connection can make the relay do, each on its own with an
 * injected clock: budgets, the reply cap, the over-budget clock, the inbox, the scheduler and
 * the per-user caps. flood.test.ts checks them together on a real relay.
 */

function clock(start = 1_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('TokenBucket', () => {
  it('refills up to its burst, and says how long until a level is back', () => {
    const c = clock();
    const b = new TokenBucket(10, 20, c.now);
    expect(b.take(20)).toBe(true);
    expect(b.take(1)).toBe(false);
    expect(b.msUntil(5)).toBe(500);
    c.advance(500);
    expect(b.take(5)).toBe(true);
    c.advance(60_000);
    expect(b.tokens).toBe(20);
    expect(b.full).toBe(true);
  });

  it('charges work already received into debt, repaid by the refill', () => {
    const c = clock();
    const b = new TokenBucket(100, 200, c.now);
    b.charge(500); // 200 - 500 = -300
    expect(b.tokens).toBe(-300);
    expect(b.msUntil()).toBe(3_000);
    c.advance(3_000);
    expect(b.msUntil()).toBe(0);
  });

  it('never runs out at an infinite rate', () => {
    const b = new TokenBucket(Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY);
    b.charge(1e9);
    expect(b.msUntil()).toBe(0);
    expect(b.take(1e9)).toBe(true);
  });
});

describe('ReplyCap', () => {
  it('allows at most max replies in any window', () => {
    const c = clock();
    const cap = new ReplyCap(10, 1_000, c.now);
    const times: number[] = [];
    for (let i = 0; i < 400; i++) {
      if (cap.allow()) times.push(c.now());
      c.advance(10);
    }
    expect(times.length).toBeGreaterThan(30);
    for (const t of times) {
      expect(times.filter((u) => u >= t && u <= t + 1_000).length).toBeLessThanOrEqual(10);
    }
  });
});

describe('OverBudgetClock', () => {
  it('adds up waits that follow each other, and starts over after a break', () => {
    const c = clock();
    const over = new OverBudgetClock(1_000, c.now);
    expect(over.overForMs()).toBe(0);
    for (let i = 0; i < 10; i++) {
      over.waiting(300);
      c.advance(500); // each wait begins within the grace after the last one ended
    }
    expect(over.overForMs()).toBe(5_000);
    c.advance(2_000); // a break longer than the grace
    expect(over.overForMs()).toBe(0);
    over.waiting(10);
    expect(over.overForMs()).toBe(0);
  });
});

describe('Inbox', () => {
  const push = (n: number) =>
    encodeMessage({
      kind: 'push',
      entries: Array.from({ length: n }, (_, i) => ({
        id: i + 1,
        doc: 'd',
        delta: new Uint8Array([1]),
      })),
    });

  it('hands out a large message in slices, in order', async () => {
    const { decodeMessage } = await import('@helios/core');
    const inbox = new Inbox({ maxMessages: 4, maxBytes: 1 << 20 }, (b) => {
      const m = decodeMessage(b);
      if (m.kind !== 'push') throw new Error('not a push');
      return m;
    });
    inbox.push(push(120));
    inbox.push(push(3));
    const sizes: number[] = [];
    const ids: number[] = [];
    for (let unit = inbox.next(50); unit; unit = inbox.next(50)) {
      sizes.push(unit.entries);
      if (unit.message.kind === 'push') ids.push(...unit.message.entries.map((e) => e.id));
    }
    expect(sizes).toEqual([50, 50, 20, 3]);
    expect(ids.slice(0, 120)).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
    expect(inbox.empty).toBe(true);
  });

  it('is full past its bounds and drained at half of them', () => {
    const inbox = new Inbox({ maxMessages: 4, maxBytes: 1 << 20 }, () => {
      throw new Error('unused');
    });
    for (let i = 0; i < 5; i++) inbox.push(new Uint8Array(10));
    expect(inbox.full).toBe(true);
    expect(inbox.drained).toBe(false);
    const big = new Inbox({ maxMessages: 100, maxBytes: 100 }, () => {
      throw new Error('unused');
    });
    big.push(new Uint8Array(101));
    expect(big.full).toBe(true);
  });

  it('drops a message that cannot be decoded, and throws why', () => {
    const inbox = new Inbox({ maxMessages: 4, maxBytes: 1 << 20 }, () => {
      throw new Error('garbage');
    });
    inbox.push(new Uint8Array([9, 9]));
    expect(() => inbox.next(10)).toThrow('garbage');
    expect(inbox.empty).toBe(true);
  });
});

describe('FairScheduler', () => {
  /**
   * A connection with `units` units of `cost` entries queued; records the order of its turns and
   * calls `during(n)` in its n-th turn.
   */
  function worker(
    name: string,
    units: number,
    cost: number,
    order: string[],
    s: FairScheduler,
    during: (n: number) => void = () => {},
  ) {
    let done = 0;
    const w: Worker = {
      turn(): Turn {
        order.push(name);
        during(++done);
        return {
          cost,
          done: Promise.resolve().then(() => {
            if (done < units) s.request(w, 'backlog');
          }),
        };
      },
    };
    return w;
  }

  async function settle(order: string[], count: number) {
    const deadline = Date.now() + 5_000;
    while (order.length < count && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  it('serves backlogged connections evenly by entries, a light one before all of them', async () => {
    // A tiny slice: one backlogged unit per turn of the event loop.
    const s = new FairScheduler({
      sliceMs: 0.001,
      heavyEntriesPerSecond: 1e9,
      share: 1,
      maxLoad: 1,
      maxRestMs: 50,
      busy: () => false,
    });
    const order: string[] = [];
    const light = worker('o', 1, 1, order, s);
    const a = worker('a', 6, 100, order, s);
    const b = worker('b', 6, 100, order, s, (n) => {
      if (n === 2) s.request(light, 'light'); // a write arrives while a and b have backlog
    });
    s.request(a, 'backlog');
    s.request(b, 'backlog');
    await settle(order, 13);
    expect(order).toEqual(['a', 'b', 'a', 'b', 'o', 'a', 'b', 'a', 'b', 'a', 'b', 'a', 'b']);
  });

  it('serves a connection with cheaper units more often', async () => {
    const s = new FairScheduler({
      sliceMs: 100,
      heavyEntriesPerSecond: 1e9,
      share: 1,
      maxLoad: 1,
      maxRestMs: 50,
      busy: () => false,
    });
    const order: string[] = [];
    s.request(worker('big', 3, 100, order, s), 'backlog');
    s.request(worker('small', 30, 10, order, s), 'backlog');
    await settle(order, 33);
    // By entries, 'small' gets ten turns for each of 'big''s.
    const firstBig = order.indexOf('big', 1);
    expect(order.slice(0, firstBig).filter((n) => n === 'small').length).toBeGreaterThanOrEqual(9);
  });

  it('holds backlog while the store is behind, but not a light unit', async () => {
    let behind = true;
    const s = new FairScheduler({
      sliceMs: 100,
      heavyEntriesPerSecond: 1e9,
      share: 1,
      maxLoad: 1,
      maxRestMs: 50,
      busy: () => behind,
    });
    const order: string[] = [];
    s.request(worker('flood', 3, 50, order, s), 'backlog');
    s.request(worker('o', 1, 1, order, s), 'light');
    await settle(order, 1);
    await new Promise((r) => setTimeout(r, 30));
    expect(order).toEqual(['o']);
    behind = false;
    await settle(order, 4);
    expect(order).toEqual(['o', 'flood', 'flood', 'flood']);
  });
});

describe('FairScheduler lanes', () => {
  it('rests a heavy connection while the loop is busy, but not one that only fell behind', async () => {
    // maxLoad 0: the loop always counts as busy, so heavy units run only every maxRestMs.
    const s = new FairScheduler({
      sliceMs: 0.001,
      heavyEntriesPerSecond: 1e9,
      share: 1,
      maxLoad: 0,
      maxRestMs: 200,
      busy: () => false,
    });
    const order: string[] = [];
    /** A worker with `units` units of `cost`, asking again as `kind` after each. */
    const worker = (name: string, units: number, cost: number, kind: 'bulk' | 'backlog') => {
      let left = units;
      const w: Worker = {
        turn(): Turn {
          order.push(name);
          left--;
          const done = Promise.resolve().then(() => {
            if (left > 0) s.request(w, kind);
          });
          return { cost, done };
        },
      };
      return w;
    };
    s.request(worker('bulk', 3, 50, 'bulk'), 'bulk');
    s.request(worker('behind', 50, 1, 'backlog'), 'backlog');
    const deadline = Date.now() + 5_000;
    while (order.length < 53 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 5));
    }
    // All of the connection that fell behind was served before the bulk one's last slices (one
    // per maxRestMs), and the bulk one was not starved either.
    expect(order.length).toBe(53);
    expect(order.lastIndexOf('behind')).toBeLessThan(order.lastIndexOf('bulk'));
    expect(order.slice(0, 51).filter((n) => n === 'bulk').length).toBeLessThanOrEqual(1);
  });
});

describe('UserLimits', () => {
  it('caps connections and new replica ids per user, and gives slots back', () => {
    const c = clock();
    const users = new UserLimits(
      { ...DEFAULT_LIMITS, maxConnectionsPerUser: 2, maxReplicaClaimsPerMinute: 3 },
      c.now,
    );
    const one = users.connect('ann', 2);
    users.connect('ann', 1);
    expect(() => users.connect('ann', 0)).toThrow(
      expect.objectContaining({ code: 'too-many-connections' }),
    );
    users.connect('bob', 3);
    one.release();
    one.release(); // once only
    expect(() => users.connect('ann', 1)).toThrow(
      expect.objectContaining({ code: 'too-many-replicas' }),
    );
    users.connect('ann', 0);
    expect(() => users.connect('ann', 0)).toThrow(
      expect.objectContaining({ code: 'too-many-connections' }),
    );
    c.advance(20_000); // a minute's claims refill over the minute
    const after = users.connect('carl', 1);
    after.release();
  });
});
