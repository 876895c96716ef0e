/**
 * Properties of the hybrid logical clock under injected physical time that may stall, jump and
 * run backwards, with remote timestamps from clocks that are ahead or behind.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ClockDriftError, InvalidArgumentError } from '../errors.js';
import { HLC_MAX_FUTURE_DRIFT_MS, HybridLogicalClock } from './hybrid-logical-clock.js';
import { compareTimestamps, type Timestamp } from './timestamp.js';

const RUNS = 300;
const T0 = 1_700_000_000_000;
const MAX_COUNTER = 0xffff;

type Event =
  /** Physical time moves by `dt` ms (possibly backwards: NTP corrections, VM migration). */
  | { readonly kind: 'tick'; readonly dt: number }
  | { readonly kind: 'now' }
  /** A remote timestamp `lead` ms ahead of our physical time (behind when negative). */
  | { readonly kind: 'receive'; readonly lead: number; readonly counter: number }
  | { readonly kind: 'offset'; readonly ms: number };

const eventArb = (maxLead: number): fc.Arbitrary<Event> =>
  fc.oneof(
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant('tick' as const),
        dt: fc.integer({ min: -5, max: 5 }),
      }),
    },
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('now' as const) }) },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('receive' as const),
        lead: fc.integer({ min: -20, max: maxLead }),
        counter: fc.oneof(fc.nat({ max: 3 }), fc.constant(MAX_COUNTER)),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('offset' as const),
        ms: fc.integer({ min: -10, max: 10 }),
      }),
    },
  );

/** A clock over a physical time the test controls. */
function fakeClock(replica = 'me', options: { maxDriftMs?: number; offsetMs?: number } = {}) {
  const time = { t: T0 };
  const clock = new HybridLogicalClock({ replica, now: () => time.t, ...options });
  return { clock, time };
}

/** Order of readings of one clock: (wall, counter). */
function later(a: Timestamp, b: Timestamp): boolean {
  return a.wall > b.wall || (a.wall === b.wall && a.counter > b.counter);
}

describe('HybridLogicalClock', () => {
  it('now() is strictly monotonic and never behind corrected physical time', () => {
    fc.assert(
      fc.property(fc.array(eventArb(5), { maxLength: 60 }), (events) => {
        const { clock, time } = fakeClock();
        let last: Timestamp | undefined;
        for (const e of events) {
          if (e.kind === 'tick') time.t += e.dt;
          else if (e.kind === 'offset') clock.setOffset(e.ms);
          else {
            const ts =
              e.kind === 'now'
                ? clock.now()
                : clock.receive({
                    wall: clock.physicalNow() + e.lead,
                    counter: e.counter,
                    replica: 'you',
                  });
            expect(ts.replica).toBe('me');
            expect(ts.wall).toBeGreaterThanOrEqual(clock.physicalNow());
            expect(ts.counter).toBeGreaterThanOrEqual(0);
            expect(ts.counter).toBeLessThanOrEqual(MAX_COUNTER);
            if (last !== undefined)
              expect(later(ts, last), `${JSON.stringify(ts)} after ${JSON.stringify(last)}`).toBe(
                true,
              );
            last = ts;
          }
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('the counter restarts at 0 whenever physical time passes the last reading', () => {
    fc.assert(
      fc.property(fc.array(eventArb(5), { maxLength: 60 }), (events) => {
        const { clock, time } = fakeClock();
        let lastWall = Number.NEGATIVE_INFINITY;
        for (const e of events) {
          if (e.kind === 'tick') time.t += e.dt;
          else if (e.kind === 'offset') clock.setOffset(e.ms);
          else if (e.kind === 'now') {
            const fresh = clock.physicalNow() > lastWall;
            const ts = clock.now();
            if (fresh) expect(ts).toEqual({ wall: clock.physicalNow(), counter: 0, replica: 'me' });
            else expect(ts.wall).toBe(lastWall);
            lastWall = ts.wall;
          } else {
            lastWall = clock.receive({
              wall: clock.physicalNow() + e.lead,
              counter: e.counter,
              replica: 'x',
            }).wall;
          }
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('receive orders after the remote timestamp and every earlier reading', () => {
    fc.assert(
      fc.property(fc.array(eventArb(1_000), { maxLength: 60 }), (events) => {
        const { clock, time } = fakeClock();
        let last: Timestamp | undefined;
        for (const e of events) {
          if (e.kind === 'tick') time.t += e.dt;
          else if (e.kind === 'offset') clock.setOffset(e.ms);
          else if (e.kind === 'now') last = clock.now();
          else {
            const remote = {
              wall: clock.physicalNow() + e.lead,
              counter: e.counter,
              replica: 'you',
            };
            const ts = clock.receive(remote);
            expect(
              later(ts, remote),
              `${JSON.stringify(ts)} after remote ${JSON.stringify(remote)}`,
            ).toBe(true);
            if (last !== undefined) expect(later(ts, last)).toBe(true);
            const next = clock.now();
            expect(later(next, remote) && later(next, ts)).toBe(true);
            last = next;
          }
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('without counter spills, the wall is the greatest physical time or remote wall seen', () => {
    fc.assert(
      fc.property(fc.array(eventArb(50), { maxLength: 60 }), (events) => {
        const { clock, time } = fakeClock();
        let seen = Number.NEGATIVE_INFINITY;
        for (const e of events) {
          if (e.kind === 'tick') time.t += e.dt;
          else if (e.kind === 'offset') clock.setOffset(e.ms);
          else {
            seen = Math.max(seen, clock.physicalNow());
            // Remote counters stay small here, so only physical time and remote walls move the wall.
            const ts =
              e.kind === 'now'
                ? clock.now()
                : clock.receive({
                    wall: clock.physicalNow() + e.lead,
                    counter: Math.min(e.counter, 3),
                    replica: 'r',
                  });
            if (e.kind === 'receive') seen = Math.max(seen, clock.physicalNow() + e.lead);
            expect(ts.wall).toBe(seen);
          }
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('a timestamp too far ahead throws ClockDriftError and leaves the clock unchanged', () => {
    fc.assert(
      fc.property(
        fc.array(eventArb(5), { maxLength: 30 }),
        fc.integer({ min: 1, max: 5_000 }),
        fc.integer({ min: 1, max: 100_000 }),
        fc.nat({ max: MAX_COUNTER }),
        (events, maxDriftMs, excess, counter) => {
          // Two clocks see the same events; one also gets refused timestamps. Their readings
          // must stay identical.
          const a = fakeClock('me', { maxDriftMs });
          const b = fakeClock('me', { maxDriftMs });
          for (const e of events) {
            if (e.kind === 'tick') {
              a.time.t += e.dt;
              b.time.t += e.dt;
            } else if (e.kind === 'offset') {
              a.clock.setOffset(e.ms);
              b.clock.setOffset(e.ms);
            } else if (e.kind === 'now') {
              expect(a.clock.now()).toEqual(b.clock.now());
            } else {
              const remote = {
                wall: a.clock.physicalNow() + Math.min(e.lead, maxDriftMs),
                counter: e.counter,
                replica: 'y',
              };
              expect(a.clock.receive(remote)).toEqual(b.clock.receive(remote));
            }
            const tooFar = {
              wall: a.clock.physicalNow() + maxDriftMs + excess,
              counter,
              replica: 'y',
            };
            let err: unknown;
            try {
              a.clock.receive(tooFar);
            } catch (caught) {
              err = caught;
            }
            expect(err).toBeInstanceOf(ClockDriftError);
            expect((err as ClockDriftError).driftMs).toBe(maxDriftMs + excess);
            expect((err as ClockDriftError).maxDriftMs).toBe(maxDriftMs);
            expect((err as ClockDriftError).code).toBe('clock-drift');
            expect(() => a.clock.check(tooFar)).toThrow(ClockDriftError);
            // Exactly at the bound is accepted by check (receive would move the clock).
            expect(() =>
              a.clock.check({ ...tooFar, wall: a.clock.physicalNow() + maxDriftMs }),
            ).not.toThrow();
          }
          expect(a.clock.now()).toEqual(b.clock.now());
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('the default drift bound is one minute', () => {
    const { clock } = fakeClock();
    expect(clock.maxDriftMs).toBe(HLC_MAX_FUTURE_DRIFT_MS);
    expect(HLC_MAX_FUTURE_DRIFT_MS).toBe(60_000);
    expect(() => clock.receive({ wall: T0 + 60_000, counter: 0, replica: 'x' })).not.toThrow();
    expect(() => clock.receive({ wall: T0 + 60_001, counter: 0, replica: 'x' })).toThrow(
      ClockDriftError,
    );
  });

  it('the offset corrects physical time, including for the drift check', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -1_000_000, max: 1_000_000 }),
        fc.double({ min: -1e6, max: 1e6, noNaN: true }),
        fc.double({ min: 0, max: 0.999, noNaN: true }),
        (initial, next, fraction) => {
          const time = { t: T0 + fraction };
          const clock = new HybridLogicalClock({
            replica: 'me',
            now: () => time.t,
            offsetMs: initial,
          });
          expect(clock.offsetMs).toBe(initial);
          expect(clock.physicalNow()).toBe(Math.floor(T0 + fraction + initial));
          expect(clock.now().wall).toBe(Math.floor(T0 + fraction + initial));
          const before = clock.now();
          clock.setOffset(next);
          expect(clock.offsetMs).toBe(next);
          expect(clock.physicalNow()).toBe(Math.floor(T0 + fraction + next));
          // A negative correction never makes the clock go backwards.
          const after = clock.now();
          expect(compareTimestamps(after, before)).toBeGreaterThan(0);
          const bound = clock.physicalNow() + clock.maxDriftMs;
          expect(() => clock.check({ wall: bound, counter: 0, replica: 'x' })).not.toThrow();
          expect(() => clock.check({ wall: bound + 1, counter: 0, replica: 'x' })).toThrow(
            ClockDriftError,
          );
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('setOffset refuses a non-finite offset and keeps the old one', () => {
    const { clock } = fakeClock('me', { offsetMs: 7 });
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      expect(() => clock.setOffset(bad)).toThrow(RangeError);
      expect(clock.offsetMs).toBe(7);
    }
  });

  it('a counter overflow spills into the next millisecond', () => {
    fc.assert(
      fc.property(fc.nat({ max: 3 }), fc.nat({ max: 200 }), (extraMs, extra) => {
        // Physical time is frozen: every reading after the first ticks the counter.
        const { clock, time } = fakeClock();
        const first = clock.now();
        expect(first).toEqual({ wall: T0, counter: 0, replica: 'me' });
        let last = first;
        const total = (MAX_COUNTER + 1) * (extraMs + 1) + extra;
        for (let i = 1; i <= total; i++) {
          const ts = clock.now();
          if (!later(ts, last))
            expect.fail(`reading ${i} ${JSON.stringify(ts)} not after ${JSON.stringify(last)}`);
          last = ts;
        }
        expect(last).toEqual({
          wall: T0 + Math.floor(total / (MAX_COUNTER + 1)),
          counter: total % (MAX_COUNTER + 1),
          replica: 'me',
        });
        // Once physical time catches up past the borrowed milliseconds, the counter restarts.
        time.t = last.wall + 1;
        expect(clock.now()).toEqual({ wall: last.wall + 1, counter: 0, replica: 'me' });
      }),
      { numRuns: 4 },
    );
  });

  it('receiving a saturated counter spills into the next millisecond', () => {
    const { clock } = fakeClock();
    const ts = clock.receive({ wall: T0, counter: MAX_COUNTER, replica: 'x' });
    expect(ts).toEqual({ wall: T0 + 1, counter: 0, replica: 'me' });
    const ahead = clock.receive({ wall: T0 + 5, counter: MAX_COUNTER, replica: 'x' });
    expect(ahead).toEqual({ wall: T0 + 6, counter: 0, replica: 'me' });
    expect(later(clock.now(), ahead)).toBe(true);
  });

  it('uses the injected time source, not Date.now', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 47 }),
        // Eighths of a ms are exact in a double at these magnitudes, so ms + frac floors to ms.
        fc.integer({ min: 0, max: 7 }).map((n) => n / 8),
        (ms, frac) => {
          const clock = new HybridLogicalClock({ replica: 'r1', now: () => ms + frac });
          expect(clock.physicalNow()).toBe(ms);
          expect(clock.now()).toEqual({ wall: ms, counter: 0, replica: 'r1' });
          expect(clock.now()).toEqual({ wall: ms, counter: 1, replica: 'r1' });
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('refuses an invalid replica id', () => {
    expect(() => new HybridLogicalClock({ replica: '' })).toThrow(InvalidArgumentError);
    expect(() => new HybridLogicalClock({ replica: 'x'.repeat(65) })).toThrow(InvalidArgumentError);
    expect(new HybridLogicalClock({ replica: 'x'.repeat(64) }).replica).toBe('x'.repeat(64));
  });

  it('messages between clocks with skewed physical time respect happens-before', () => {
    type Act = { readonly at: number; readonly dt: number; readonly send: number | null };
    const actArb: fc.Arbitrary<Act> = fc.record({
      at: fc.nat({ max: 2 }),
      dt: fc.integer({ min: -3, max: 6 }),
      send: fc.option(fc.nat({ max: 2 }), { nil: null }),
    });
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -50, max: 50 }), { minLength: 3, maxLength: 3 }),
        fc.array(actArb, { maxLength: 50 }),
        (skews, acts) => {
          let t = T0;
          const clocks = skews.map(
            (skew, i) => new HybridLogicalClock({ replica: `r${i}`, now: () => t + skew }),
          );
          // Per clock, the greatest timestamp of every event that happened before its next event.
          const past: (Timestamp | undefined)[] = [undefined, undefined, undefined];
          for (const { at, dt, send } of acts) {
            t += dt;
            const ts = clocks[at]!.now();
            const before = past[at];
            if (before !== undefined) expect(compareTimestamps(ts, before)).toBeGreaterThan(0);
            past[at] = ts;
            if (send !== null && send !== at) {
              const received = clocks[send]!.receive(ts);
              expect(compareTimestamps(received, ts)).toBeGreaterThan(0);
              const prior = past[send];
              if (prior !== undefined)
                expect(compareTimestamps(received, prior)).toBeGreaterThan(0);
              past[send] = received;
            }
          }
        },
      ),
      { numRuns: RUNS },
    );
  });
});

describe('compareTimestamps', () => {
  const tsArb = fc.record({
    wall: fc.integer({ min: T0, max: T0 + 3 }),
    counter: fc.nat({ max: 2 }),
    replica: fc.constantFrom('a', 'b', 'ab'),
  });

  it('is a total order: antisymmetric, transitive, replica breaking ties', () => {
    fc.assert(
      fc.property(tsArb, tsArb, tsArb, (a, b, c) => {
        const ab = Math.sign(compareTimestamps(a, b));
        expect(Math.sign(compareTimestamps(b, a))).toBe(-ab || 0);
        expect(ab === 0).toBe(
          a.wall === b.wall && a.counter === b.counter && a.replica === b.replica,
        );
        if (compareTimestamps(a, b) <= 0 && compareTimestamps(b, c) <= 0) {
          expect(compareTimestamps(a, c)).toBeLessThanOrEqual(0);
        }
        const lexicographic =
          a.wall !== b.wall
            ? a.wall - b.wall
            : a.counter !== b.counter
              ? a.counter - b.counter
              : a.replica < b.replica
                ? -1
                : a.replica > b.replica
                  ? 1
                  : 0;
        expect(ab).toBe(Math.sign(lexicographic));
      }),
      { numRuns: RUNS },
    );
  });
});
