import { describe, expect, it } from 'vitest';
import type { Value } from '../codec/value.js';
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
