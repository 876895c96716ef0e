import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type LinkConditions, LinkModel } from './link-model.js';

const conditions = fc.record({
  latencyMs: fc.integer({ min: 0, max: 100 }),
  jitterMs: fc.integer({ min: 0, max: 100 }),
  dropRate: fc.double({ min: 0, max: 1, noNaN: true }),
  duplicateRate: fc.double({ min: 0, max: 1, noNaN: true }),
  reorderRate: fc.double({ min: 0, max: 1, noNaN: true }),
});
/** Messages as (from, to, time since the previous one). */
const sends = fc.array(
  fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 }), fc.nat(20)),
  { maxLength: 60 },
);

function planAll(model: LinkModel, messages: readonly [number, number, number][]): number[][] {
  let now = 0;
  return messages.map(([from, to, gap]) => {
    now += gap;
    return model.plan(from, to, now);
  });
}

describe('LinkModel', () => {
  it('decides the same for the same seed and calls', () => {
    fc.assert(
      fc.property(fc.nat(), conditions, sends, (seed, c, messages) => {
        const a = planAll(new LinkModel({ seed, conditions: c }), messages);
        const b = planAll(new LinkModel({ seed, conditions: c }), messages);
        expect(a).toEqual(b);
      }),
    );
  });

  it('delivers within latency and jitter, at most 3 times, and counts what it did', () => {
    fc.assert(
      fc.property(fc.nat(), conditions, sends, (seed, c, messages) => {
        const model = new LinkModel({ seed, conditions: c });
        let now = 0;
        let lost = 0;
        let duplicated = 0;
        for (const [from, to, gap] of messages) {
          now += gap;
          const arrivals = model.plan(from, to, now);
          if (arrivals.length === 0) lost++;
          if (arrivals.length > 1) duplicated++;
          expect(arrivals.length).toBeLessThanOrEqual(3);
          for (const at of arrivals) {
            expect(at).toBeGreaterThanOrEqual(now);
            expect(at).toBeLessThanOrEqual(now + c.latencyMs + c.jitterMs);
          }
        }
        expect(model.stats).toEqual({ sent: messages.length, dropped: lost, duplicated });
      }),
    );
  });

  it('on an ordered link, every message arrives once and never before the one sent before it', () => {
    fc.assert(
      fc.property(fc.nat(), conditions, sends, (seed, c, messages) => {
        const model = new LinkModel({ seed, conditions: { ...c, dropRate: 0 } });
        const last = new Map<string, number>();
        let now = 0;
        for (const [from, to, gap] of messages) {
          now += gap;
          const arrivals = model.plan(from, to, now, true);
          expect(arrivals.length).toBe(1);
          expect(arrivals[0]).toBeGreaterThanOrEqual(last.get(`${from}>${to}`) ?? 0);
          last.set(`${from}>${to}`, arrivals[0]!);
        }
      }),
    );
  });

  it('applies each fault its conditions name', () => {
    const plan = (c: LinkConditions, ordered = false) =>
      new LinkModel({ seed: 7, conditions: c }).plan('a', 'b', 100, ordered);
    expect(plan({})).toEqual([100]);
    expect(plan({ latencyMs: 30 })).toEqual([130]);
    expect(plan({ dropRate: 1 })).toEqual([]);
    expect(plan({ duplicateRate: 1 }).length).toBeGreaterThan(1);
    expect(plan({ duplicateRate: 1 }, true)).toEqual([100]);
    expect(plan({ latencyMs: 30, reorderRate: 1 })).toEqual([100]); // skips the latency
    expect(plan({ latencyMs: 30, reorderRate: 1 }, true)).toEqual([130]);
  });

  it('gives one link its own conditions', () => {
    const model = new LinkModel({ seed: 1, conditions: { latencyMs: 10 } });
    model.set('a', 'b', { dropRate: 1 });
    expect(model.conditions('a', 'b')).toMatchObject({ latencyMs: 10, dropRate: 1 });
    expect(model.plan('a', 'b', 0)).toEqual([]);
    expect(model.plan('b', 'a', 0)).toEqual([10]);
  });

  it('partitions, cuts and isolates, and heals what each heal names', () => {
    const model = new LinkModel({ seed: 1 });
    const changes: number[] = [];
    const unsubscribe = model.onChange(() => changes.push(changes.length));
    const reach = () =>
      ['a>b', 'b>a', 'a>c', 'c>a', 'b>c', 'c>b'].filter((l) => {
        const [from, to] = l.split('>') as [string, string];
        return model.reachable(from, to);
      });
    expect(reach()).toHaveLength(6);

    model.partition([['a', 'b']]); // c is in no group: alone
    expect(reach()).toEqual(['a>b', 'b>a']);
    expect(model.plan('a', 'c', 0)).toEqual([]);
    model.heal();
    expect(reach()).toHaveLength(6);

    model.cut('a', 'b'); // one way
    expect(reach()).not.toContain('a>b');
    expect(reach()).toContain('b>a');
    model.isolate('c');
    expect(reach()).toEqual(['b>a']);
    model.heal('c'); // c's isolation only
    expect(reach()).toEqual(['b>a', 'a>c', 'c>a', 'b>c', 'c>b']);
    model.partition([['a'], ['b', 'c']]);
    model.heal('a', 'b'); // the cut, not the partition
    expect(reach()).toEqual(['b>c', 'c>b']);

    expect(changes).toHaveLength(7);
    unsubscribe();
    model.heal();
    expect(changes).toHaveLength(7);
  });
});
