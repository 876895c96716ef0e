import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { typeCases } from '../test-support/arbitraries.js';
import { GCounter, PNCounter } from './counter.js';
import type { ClockedActor } from './lww.js';
import { LWWMap } from './lww-map.js';
import { LWWRegister } from './lww-register.js';
import { MVRegister } from './mv-register.js';
import { orMap } from './or-map.js';
import { AWSet, ORSet, RWSet } from './sets.js';

function actor(replica: string): ClockedActor {
  let wall = 1_700_000_000_000;
  return { replica, now: () => ({ wall: wall++, counter: 0, replica }) };
}

describe('toJson: the documented JSON form of every type', () => {
  const a = actor('a');
  const b = actor('b');

  it('counters are numbers', () => {
    const g = GCounter.empty();
    GCounter.merge(g, GCounter.increment(g, a, 3));
    expect(GCounter.toJson(g)).toBe(3);
    const pn = PNCounter.empty();
    PNCounter.merge(pn, PNCounter.decrement(pn, a, 5));
    expect(PNCounter.toJson(pn)).toBe(-5);
  });

  it('an LWW-Register is its value, null before the first write; bytes are base64', () => {
    const r = LWWRegister.empty();
    expect(LWWRegister.toJson(r)).toBeNull();
    LWWRegister.merge(r, LWWRegister.set(r, a, Uint8Array.of(0xfb, 0xff, 0x01, 0x02)));
    expect(LWWRegister.toJson(r)).toEqual({ $bytes: '+/8BAg==' });
  });

  it('an MV-Register is the array of its concurrent values', () => {
    const left = MVRegister.empty();
    const right = MVRegister.empty();
    MVRegister.merge(left, MVRegister.set(left, b, 'from b'));
    MVRegister.merge(right, MVRegister.set(right, a, { note: 'from a' }));
    expect(MVRegister.toJson(MVRegister.join(left, right))).toEqual([{ note: 'from a' }, 'from b']);
  });

  it('sets are arrays of their elements, numbers first, then strings', () => {
    const aw = AWSet.empty();
    for (const e of ['b', 10, 'a', -1]) AWSet.merge(aw, AWSet.add(aw, a, e));
    expect(AWSet.toJson(aw)).toEqual([-1, 10, 'a', 'b']);
    const rw = RWSet.empty();
    for (const e of ['b', 10, 'a']) RWSet.merge(rw, RWSet.add(rw, a, e));
    RWSet.merge(rw, RWSet.remove(rw, a, 'b'));
    expect(RWSet.toJson(rw)).toEqual([10, 'a']);
    const s = ORSet.empty();
    ORSet.merge(s, ORSet.add(s, a, 'x').delta);
    ORSet.merge(s, ORSet.add(s, a, 'x').delta);
    expect(ORSet.toJson(s)).toEqual(['x']);
  });

  it('maps are objects; an OR-Map shows each value in its own type’s form', () => {
    const m = LWWMap.empty();
    LWWMap.merge(m, LWWMap.set(m, a, 'theme', 'dark'));
    LWWMap.merge(m, LWWMap.set(m, a, 7, [1, 2]));
    expect(LWWMap.toJson(m)).toEqual({ '7': [1, 2], theme: 'dark' });

    const cart = orMap(PNCounter);
    const c = cart.empty();
    cart.merge(
      c,
      cart.update(c, 'sku-1', (line) => PNCounter.increment(line, a, 2)),
    );
    expect(cart.toJson(c)).toEqual({ 'sku-1': 2 });
    const tags = orMap(AWSet);
    const t = tags.empty();
    tags.merge(
      t,
      tags.update(t, 'post', (set) => AWSet.add(set, a, 'news')),
    );
    expect(tags.toJson(t)).toEqual({ post: ['news'] });
  });
});

describe('toJson properties', () => {
  it('replicas that converged by merging in either order write the same JSON, and it survives JSON', () => {
    for (const { type, op, mutate } of typeCases) {
      fc.assert(
        fc.property(fc.array(op, { maxLength: 6 }), fc.array(op, { maxLength: 6 }), (xs, ys) => {
          const left = type.empty();
          const right = type.empty();
          for (const x of xs) type.merge(left, mutate(left, actor('a'), x));
          for (const y of ys) type.merge(right, mutate(right, actor('b'), y));
          const one = JSON.stringify(type.toJson(type.join(left, right)));
          const other = JSON.stringify(type.toJson(type.join(right, left)));
          expect(one).toBe(other);
          expect(JSON.stringify(JSON.parse(one))).toBe(one);
        }),
        { numRuns: 60 },
      );
    }
  });
});
