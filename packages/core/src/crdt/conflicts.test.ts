import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CausalContext } from '../causal/causal-context.js';
import { compareTimestamps } from '../clock/timestamp.js';
import type { Value } from '../codec/value.js';
import {
  type AnyTypeCase,
  lwwMapCase,
  lwwRegisterCase,
  mvRegisterCase,
} from '../test-support/arbitraries.js';
import { PNCounter } from './counter.js';
import type { ClockedActor } from './lww.js';
import { LWWMap } from './lww-map.js';
import { LWWRegister } from './lww-register.js';
import { MVRegister } from './mv-register.js';
import { orMap } from './or-map.js';
import type { AnyCrdtState, AnyCrdtType } from './registry.js';
import { AWSet } from './sets.js';

/** Two replicas with clocks of their own; `b`'s writes carry later timestamps. */
const a: ClockedActor = { replica: 'a', now: () => ({ wall: 1, counter: 0, replica: 'a' }) };
const b: ClockedActor = { replica: 'b', now: () => ({ wall: 2, counter: 0, replica: 'b' }) };

/**
 * The conflicts counted when `second` (a delta) is merged into a replica that holds `first`:
 * concurrent writes unless `after` (then `second` was written on top of `first`).
 */
function conflictsOf(
  type: AnyCrdtType,
  write: (state: AnyCrdtState, actor: ClockedActor) => AnyCrdtState,
  after = false,
): number {
  const replica = type.empty();
  const first = write(type.empty(), a);
  type.merge(replica, first);
  const second = write(after ? replica : type.empty(), b);
  type.merge(replica, second);
  return type.conflicts(replica.store, second.store);
}

describe('CrdtType.conflicts', () => {
  const set = (value: Value) => (s: AnyCrdtState, actor: ClockedActor) =>
    LWWRegister.set(s as never, actor, value) as AnyCrdtState;

  it('counts a register left with concurrent writes, LWW and multi-value alike', () => {
    expect(conflictsOf(LWWRegister, set('x'))).toBe(1);
    expect(conflictsOf(LWWRegister, set('x'), true)).toBe(0);
    const mv = (s: AnyCrdtState, actor: ClockedActor) =>
      MVRegister.set(s as never, actor, actor.replica) as AnyCrdtState;
    expect(conflictsOf(MVRegister, mv)).toBe(1);
    expect(conflictsOf(MVRegister, mv, true)).toBe(0);
  });

  it('counts the keys of a map that hold concurrent writes, not the others', () => {
    const sameKey = (s: AnyCrdtState, actor: ClockedActor) =>
      LWWMap.set(s as never, actor, 'k', actor.replica) as AnyCrdtState;
    expect(conflictsOf(LWWMap, sameKey)).toBe(1);
    const ownKey = (s: AnyCrdtState, actor: ClockedActor) =>
      LWWMap.set(s as never, actor, actor.replica, 1) as AnyCrdtState;
    expect(conflictsOf(LWWMap, ownKey)).toBe(0);
  });

  it('counts conflicts at any depth of nested maps, by the nested type', () => {
    const notes = orMap(orMap(MVRegister));
    const write = (s: AnyCrdtState, actor: ClockedActor) =>
      notes.update(s as never, 'page', (page) =>
        orMap(MVRegister).update(page, 'title', (title) =>
          MVRegister.set(title, actor, actor.replica),
        ),
      ) as AnyCrdtState;
    expect(conflictsOf(notes, write)).toBe(1);
    expect(conflictsOf(notes, write, true)).toBe(0);
  });

  it('counts none for counters and sets, which merge concurrent writes by design', () => {
    const inc = (s: AnyCrdtState, actor: ClockedActor) =>
      PNCounter.increment(s as never, actor, 1) as AnyCrdtState;
    expect(conflictsOf(PNCounter, inc)).toBe(0);
    const add = (s: AnyCrdtState, actor: ClockedActor) =>
      AWSet.add(s as never, actor, 'x') as AnyCrdtState;
    expect(conflictsOf(AWSet, add)).toBe(0);
    const cart = orMap(PNCounter);
    const line = (s: AnyCrdtState, actor: ClockedActor) =>
      cart.update(s as never, 'sku', (q) => PNCounter.increment(q, actor, 1)) as AnyCrdtState;
    expect(conflictsOf(cart, line)).toBe(0);
  });
});

describe('CrdtType.describeConflicts', () => {
  /** Merges `second` into a replica holding `first` and describes it, as a receiver would. */
  function describe2(
    type: AnyCrdtType,
    first: AnyCrdtState,
    second: AnyCrdtState,
    unseen?: CausalContext,
  ) {
    const replica = type.empty();
    type.merge(replica, first);
    const fresh = second.context.subtract(replica.context);
    type.merge(replica, second);
    return type.describeConflicts(replica.store, second.store, {
      fresh,
      ...(unseen ? { unseen } : {}),
    });
  }

  it('names the LWW winner and the loser with their timestamps and replicas', () => {
    const first = LWWRegister.set(LWWRegister.empty(), a, 'a');
    const second = LWWRegister.set(LWWRegister.empty(), b, 'b');
    expect(describe2(LWWRegister, first, second)).toEqual([
      {
        kind: 'lww-overwrite',
        winner: { replica: 'b', wall: 2, counter: 0 },
        losers: [{ replica: 'a', wall: 1, counter: 0 }],
      },
    ]);
    // Written on top of the first: no conflict, whatever the clocks.
    const after = LWWRegister.set(first, b, 'b');
    expect(describe2(LWWRegister, first, after)).toEqual([]);
  });

  it('does not describe siblings again when a resent state brings nothing new', () => {
    const replica = MVRegister.empty();
    MVRegister.merge(replica, MVRegister.set(MVRegister.empty(), a, 1));
    MVRegister.merge(replica, MVRegister.set(MVRegister.empty(), b, 2));
    const fresh = replica.context.subtract(replica.context);
    expect(MVRegister.describeConflicts(replica.store, replica.store, { fresh })).toEqual([]);
    const third = MVRegister.set(MVRegister.empty(), { replica: 'c' }, 3);
    expect(describe2(MVRegister, replica, third)).toEqual([{ kind: 'mv-siblings', siblings: 3 }]);
  });

  it('gives the key of maps, at any depth the outermost', () => {
    const first = LWWMap.set(LWWMap.empty(), a, 'color', 'red');
    const second = LWWMap.set(LWWMap.empty(), b, 'color', 'blue');
    const [found] = describe2(LWWMap, first, second);
    expect(found).toMatchObject({ kind: 'lww-overwrite', key: 'color' });
    const notes = orMap(MVRegister);
    const w = (actor: ClockedActor) =>
      notes.update(notes.empty(), 'title', (t) => MVRegister.set(t, actor, actor.replica));
    expect(describe2(notes, w(a), w(b))).toEqual([
      { kind: 'mv-siblings', siblings: 2, key: 'title' },
    ]);
  });

  it('describes concurrent counter changes only against what the writer cannot have seen', () => {
    const mine = PNCounter.increment(PNCounter.empty(), a, 2);
    const theirs = PNCounter.increment(PNCounter.empty(), b, 5);
    expect(describe2(PNCounter, mine, theirs)).toEqual([]);
    expect(describe2(PNCounter, mine, theirs, mine.context)).toEqual([
      { kind: 'concurrent-counter', replicas: ['b', 'a'] },
    ]);
    // Our change acknowledged (no longer unseen): the other replica's is no race.
    expect(describe2(PNCounter, mine, theirs, new CausalContext())).toEqual([]);
  });

  it('describes nothing for sets, and changes nothing it reads', () => {
    const first = AWSet.add(AWSet.empty(), a, 'x');
    const second = AWSet.add(AWSet.empty(), b, 'x');
    expect(describe2(AWSet, first, second)).toEqual([]);
    const replica = LWWRegister.join(
      LWWRegister.set(LWWRegister.empty(), a, 1),
      LWWRegister.set(LWWRegister.empty(), b, 2),
    );
    const before = LWWRegister.clone(replica);
    LWWRegister.describeConflicts(replica.store, replica.store, { fresh: replica.context });
    expect(LWWRegister.equals(replica, before)).toBe(true);
  });
});

describe('describeConflicts agrees with conflicts (property)', () => {
  const registerCases = [lwwRegisterCase, mvRegisterCase, lwwMapCase] as unknown as AnyTypeCase[];

  /** An actor whose clock reads `walls` in turn (ties and out-of-order times included). */
  function actorOf(replica: string, walls: readonly number[]): ClockedActor {
    let i = 0;
    return {
      replica,
      now: () => ({ wall: walls[i++ % walls.length]!, counter: 0, replica }),
    };
  }

  for (const c of registerCases) {
    it(`${c.name}: concurrent histories merged are described once per counted conflict, the LWW winner greatest`, () => {
      fc.assert(
        fc.property(
          fc.array(c.op, { minLength: 1, maxLength: 6 }),
          fc.array(c.op, { minLength: 1, maxLength: 6 }),
          fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 4 }),
          (opsA, opsB, walls) => {
            const run = (replica: string, ops: unknown[]) => {
              const actor = actorOf(replica, walls);
              const state = c.type.empty();
              for (const op of ops) c.type.merge(state, c.mutate(state, actor, op));
              return state;
            };
            const a = run('a', opsA);
            const b = run('b', opsB); // concurrent with a: neither saw the other
            const fresh = b.context.subtract(a.context);
            c.type.merge(a, b);
            const count = c.type.conflicts(a.store, b.store);
            const found = c.type.describeConflicts(a.store, b.store, { fresh });
            expect(found).toHaveLength(count);
            for (const d of found) {
              if (d.kind !== 'lww-overwrite') continue;
              for (const loser of d.losers!) {
                const order = compareTimestamps(d.winner!, loser);
                expect(order).toBeGreaterThan(0);
              }
            }
          },
        ),
        { numRuns: 200 },
      );
    });
  }
});
