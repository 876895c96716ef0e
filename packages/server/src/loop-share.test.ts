import { describe, expect, it } from 'vitest';
import { LoopShare, type WorkLane } from './loop-share.js';

/**
 * A worker asking for its slices the way ClientSession's pump does: a turn before each slice,
 * each slice costing 5 ms of the share's clock. A slice here runs synchronously (as one of
 * cached documents nearly does), so a worker asks again before the others it was woken with.
 * Slices are recorded by name, in order.
 */
function worker(
  share: LoopShare,
  clock: { ms: number },
  order: string[],
  w: { name: string; lane: WorkLane; slices: number },
): Promise<void> {
  const who = {};
  return (async () => {
    for (let done = 0; done < w.slices; ) {
      const later = share.turn(who, w.lane);
      if (later !== undefined) {
        await later;
        continue;
      }
      order.push(w.name);
      clock.ms += 5;
      done++;
    }
  })();
}

describe('LoopShare', () => {
  it('lets work run at once while the turn has time left', () => {
    const clock = { ms: 0 };
    const share = new LoopShare({ turnMs: 10, bulkTurnMs: 10, now: () => clock.ms });
    expect(share.turn({}, 'bulk')).toBeUndefined();
    clock.ms = 9;
    expect(share.turn({}, 'interactive')).toBeUndefined();
    clock.ms = 10;
    expect(share.turn({}, 'interactive')).toBeInstanceOf(Promise);
    expect(share.behind).toBe(true);
  });

  it("gives bulk writers' work a shorter part of the turn than ordinary clients'", () => {
    const clock = { ms: 0 };
    const bulk = new LoopShare({ turnMs: 15, bulkTurnMs: 5, now: () => clock.ms });
    expect(bulk.turn({}, 'bulk')).toBeUndefined();
    clock.ms = 5;
    // Five ms of bulk work: the turn ends, for everyone, and the loop reads its sockets.
    expect(bulk.turn({}, 'bulk')).toBeInstanceOf(Promise);
    expect(bulk.turn({}, 'interactive')).toBeInstanceOf(Promise);

    clock.ms = 0;
    const ordinary = new LoopShare({ turnMs: 15, bulkTurnMs: 5, now: () => clock.ms });
    clock.ms = 10;
    expect(ordinary.turn({}, 'interactive')).toBeUndefined();
    clock.ms = 15;
    expect(ordinary.turn({}, 'interactive')).toBeInstanceOf(Promise);
  });

  it('goes round: work that had no slice in a turn goes first in the next one', async () => {
    // Room for two 5 ms slices a turn; five bulk writers want three each.
    const clock = { ms: 0 };
    const share = new LoopShare({ turnMs: 10, bulkTurnMs: 10, now: () => clock.ms });
    const order: string[] = [];
    await Promise.all(
      ['a', 'b', 'c', 'd', 'e'].map((name) =>
        worker(share, clock, order, { name, lane: 'bulk', slices: 3 }),
      ),
    );
    // Woken in the order they asked, `a` (asking again first) would keep every turn until done.
    expect(order.join('')).toBe('aabbccddeeabcde');
  });

  it("puts an ordinary client's slices before the bulk writers' in each turn", async () => {
    const clock = { ms: 0 };
    const share = new LoopShare({ turnMs: 10, bulkTurnMs: 10, now: () => clock.ms });
    const order: string[] = [];
    const bulk = ['a', 'b', 'c', 'd'].map((name) =>
      worker(share, clock, order, { name, lane: 'bulk', slices: 4 }),
    );
    await new Promise((r) => setImmediate(r)); // a turn or so of bulk work first
    const mine = worker(share, clock, order, { name: 'M', lane: 'interactive', slices: 3 });
    await Promise.all([...bulk, mine]);
    // It asks while `bb` has the second turn, and has the first slices of the next two.
    expect(order.join('')).toBe('aabbMMMcddaabbccddc');
  });

  describe('bulkShare', () => {
    /** Whether `p` has settled after the loop's next turns (`ms` of real time at least). */
    async function settled(p: Promise<void>, ms = 0): Promise<boolean> {
      let done = false;
      void p.then(() => {
        done = true;
      });
      await new Promise((r) => setTimeout(r, ms));
      await new Promise((r) => setImmediate(r));
      return done;
    }

    /** Turns of 10 ms, 5 of them for bulk work, which gets half the time; the test's clock. */
    function halfShare() {
      const clock = { ms: 0 };
      const share = new LoopShare({
        turnMs: 10,
        bulkTurnMs: 5,
        bulkShare: 0.5,
        now: () => clock.ms,
      });
      return { clock, share };
    }

    it('rests bulk work between its turns while an ordinary client is active', async () => {
      const { clock, share } = halfShare();
      const flood = {};
      expect(share.turn({}, 'interactive')).toBeUndefined(); // a person wrote
      expect(share.turn(flood, 'bulk')).toBeUndefined();
      clock.ms = 5;
      const next = share.turn(flood, 'bulk')!;
      // Five ms of bulk work at a share of one half earns five ms of rest: the next turn of the
      // loop serves ordinary clients, not bulk work, and the relay counts as behind.
      expect(await settled(next, 20)).toBe(false);
      expect(share.behind).toBe(true);
      expect(share.turn(flood, 'bulk')).toBeInstanceOf(Promise);
      expect(share.turn({}, 'interactive')).toBeUndefined();
      clock.ms = 10;
      expect(await settled(next, 20)).toBe(true);
      expect(share.behind).toBe(false);
    });

    it('does not rest bulk work when no ordinary client has been active for a second', async () => {
      const { clock, share } = halfShare();
      share.interactiveWork();
      const flood = {};
      expect(share.turn(flood, 'bulk')).toBeUndefined();
      clock.ms = 1_000;
      await share.turn(flood, 'bulk'); // a turn that started at 1,000
      expect(share.turn(flood, 'bulk')).toBeUndefined();
      clock.ms = 1_005;
      // The bulk writer has the loop to itself: its next turn is the loop's next turn.
      expect(await settled(share.turn(flood, 'bulk')!)).toBe(true);
    });

    it('tells the store how long its bulk commits rest: by the same share, while a person is active', () => {
      const { clock, share } = halfShare();
      expect(share.restAfter(4)).toBe(0); // nobody has written yet
      share.interactiveWork();
      clock.ms = 999;
      expect(share.restAfter(4)).toBe(4);
      clock.ms = 1_000;
      expect(share.restAfter(4)).toBe(0);
    });

    it('refuses a share outside (0, 1]', () => {
      expect(() => new LoopShare({ turnMs: 10, bulkShare: 0 })).toThrow(RangeError);
      expect(() => new LoopShare({ turnMs: 10, bulkShare: 1.5 })).toThrow(RangeError);
    });
  });
});
