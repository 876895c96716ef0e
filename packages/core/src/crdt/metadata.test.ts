import { describe, expect, it } from 'vitest';
import type { ReplicaId } from '../causal/replica-id.js';
import type { Timestamp } from '../clock/timestamp.js';
import { ByteWriter } from '../codec/byte-writer.js';
import type { Key } from '../codec/value.js';
import { PNCounter } from './counter.js';
import type { CrdtState, CrdtType } from './crdt-type.js';
import type { ClockedActor } from './lww.js';
import { LWWMap } from './lww-map.js';
import { orMap } from './or-map.js';
import { AWSet, ORSet, RWSet } from './sets.js';

/**
 * Metadata must be bounded by what is live, not by history: the whole point of dot stores with
 * compacted causal contexts. A million remove/re-add cycles over ten elements must leave ten
 * dots and one contiguous range per replica; the encoding may grow only by the extra varint
 * bytes of the larger sequence numbers.
 */
const ELEMENTS: readonly Key[] = Array.from({ length: 10 }, (_, i) => `element-${i}`);
const A = { replica: 'a1a1a1a1a1a1a1' };
const B = { replica: 'b2b2b2b2b2b2b2' };

function varintLength(n: number): number {
  const w = new ByteWriter();
  w.uint(n);
  return w.length;
}

/** Number of dots in the store, counting duplicates (which must not exist). */
function dotCount<S>(type: CrdtType<S, unknown>, state: CrdtState<S>): number {
  let n = 0;
  type.kind.forEachDot(state.store, () => n++);
  return n;
}

/** The context is exactly `[1, max]` for each writer: a version vector, no dot cloud. */
function expectCompacted<S>(state: CrdtState<S>, writers: readonly ReplicaId[]): void {
  expect([...state.context.replicas()].sort()).toEqual([...writers].sort());
  for (const r of writers) {
    expect(state.context.rangesOf(r), `ranges of ${r}`).toEqual([1, state.context.max(r)]);
  }
}

/**
 * Encoded-size growth the history may cause: per writer, the varint of its highest sequence gets
 * longer. Nothing else may grow (the range `[1, max]` itself is written in one byte).
 */
function seqSlack<S>(
  before: CrdtState<S>,
  after: CrdtState<S>,
  writers: readonly ReplicaId[],
): number {
  let slack = 0;
  for (const r of writers) {
    slack += varintLength(after.context.max(r)) - varintLength(before.context.max(r));
  }
  return slack;
}

describe('metadata stays bounded by live elements', () => {
  it('AWSet: 1,000,000 remove/re-add cycles by one replica keep 10 dots and one range', () => {
    const s = AWSet.empty();
    for (const el of ELEMENTS) AWSet.merge(s, AWSet.add(s, A, el));
    const first = AWSet.clone(s);
    const firstSize = AWSet.encode(first).length;

    const CYCLES = 1_000_000;
    const t0 = performance.now();
    for (let i = 0; i < CYCLES; i++) {
      const el = ELEMENTS[i % ELEMENTS.length]!;
      AWSet.merge(s, AWSet.remove(s, A, el));
      AWSet.merge(s, AWSet.add(s, A, el));
    }
    const ms = performance.now() - t0;

    expect(AWSet.value(s)).toEqual(new Set(ELEMENTS));
    expect(dotCount(AWSet, s)).toBe(10);
    expect(AWSet.liveDots(s).size).toBe(10);
    for (const el of ELEMENTS) expect(s.store.entries.get(el)).toHaveLength(1);
    expectCompacted(s, [A.replica]);
    // Each cycle mints two dots: the remove's and the re-add's.
    expect(s.context.max(A.replica)).toBe(ELEMENTS.length + 2 * CYCLES);

    const size = AWSet.encode(s).length;
    const slack = seqSlack(first, s, [A.replica]);
    console.log(
      `metadata aw-set: ${CYCLES} cycles in ${ms.toFixed(0)} ms; encoded ${firstSize} B after the first ` +
        `10 adds, ${size} B after (max seq ${first.context.max(A.replica)} -> ` +
        `${s.context.max(A.replica)}: allowed varint growth ${slack} B)`,
    );
    expect(slack).toBeGreaterThan(0);
    expect(size).toBeLessThanOrEqual(firstSize + slack);
    // Same shape of store, so the one-replica table keeps its compact single-id header.
    expect(AWSet.decode(AWSet.encode(s))).toSatisfy((d: typeof s) => AWSet.equals(d, s));
  });

  it('AWSet: two replicas exchanging 100,000 cycles through the codec stay just as small', () => {
    const a = AWSet.empty();
    const b = AWSet.empty();
    const actors = [A, B];
    const states = [a, b];
    const ship = (from: number, delta: CrdtState<typeof a.store>): void => {
      AWSet.merge(states[from]!, delta);
      AWSet.merge(states[1 - from]!, AWSet.decode(AWSet.encode(delta)));
    };
    ELEMENTS.forEach((el, i) => {
      ship(i % 2, AWSet.add(states[i % 2]!, actors[i % 2]!, el));
    });
    const first = AWSet.clone(a);
    const firstSize = AWSet.encode(first).length;

    const CYCLES = 100_000;
    for (let i = 0; i < CYCLES; i++) {
      const who = i % 2;
      const el = ELEMENTS[i % ELEMENTS.length]!;
      ship(who, AWSet.remove(states[who]!, actors[who]!, el));
      ship(who, AWSet.add(states[who]!, actors[who]!, el));
    }

    expect(AWSet.equals(a, b)).toBe(true);
    expect(dotCount(AWSet, a)).toBe(10);
    expectCompacted(a, [A.replica, B.replica]);
    const size = AWSet.encode(a).length;
    const slack = seqSlack(first, a, [A.replica, B.replica]);
    console.log(
      `metadata aw-set (2 replicas): ${CYCLES} cycles; encoded ${firstSize} B -> ${size} B ` +
        `(allowed varint growth ${slack} B)`,
    );
    expect(size).toBeLessThanOrEqual(firstSize + slack);
  });

  /** A clock frozen in time: LWW entries then encode to the same size whatever the history. */
  const frozen = (replica: ReplicaId): ClockedActor => ({
    replica,
    now: (): Timestamp => ({ wall: 1_700_000_000_000, counter: 0, replica }),
  });
  const Cart = orMap(PNCounter);

  interface Cycle<S> {
    readonly type: CrdtType<S, unknown>;
    add(state: CrdtState<S>, el: Key): CrdtState<S>;
    remove(state: CrdtState<S>, el: Key): CrdtState<S>;
    /** Most dots a removed element may keep (RWSet keeps its remove: documented). */
    readonly perRemoved: number;
  }
  const cycle = <S>(c: Cycle<S>): Cycle<unknown> => c as unknown as Cycle<unknown>;
  const cases: Cycle<unknown>[] = [
    cycle({
      type: ORSet,
      add: (s, el) => ORSet.add(s, A, el).delta,
      remove: (s, el) => ORSet.remove(s, A, el),
      perRemoved: 0,
    }),
    cycle({
      type: RWSet,
      add: (s, el) => RWSet.add(s, A, el),
      remove: (s, el) => RWSet.remove(s, A, el),
      perRemoved: 1,
    }),
    cycle({
      type: LWWMap,
      add: (s, el) => LWWMap.set(s, frozen(A.replica), el, { qty: 1 }),
      remove: (s, el) => LWWMap.remove(s, frozen(A.replica), el),
      perRemoved: 0,
    }),
    cycle({
      type: Cart,
      add: (s, el) => Cart.update(s, el, (line) => PNCounter.increment(line, A, 3)),
      remove: (s, el) => Cart.remove(s, A, el),
      perRemoved: 0,
    }),
  ];

  for (const c of cases) {
    it(`${c.type.name}: 10,000 remove/re-add cycles keep dots bounded by live elements`, () => {
      const T = c.type;
      const s = T.empty();
      for (const el of ELEMENTS) T.merge(s, c.add(s, el));
      const first = T.clone(s);
      const firstSize = T.encode(first).length;
      const CYCLES = 10_000;
      for (let i = 0; i < CYCLES; i++) {
        const el = ELEMENTS[i % ELEMENTS.length]!;
        T.merge(s, c.remove(s, el));
        if (i % 997 === 0) {
          // Mid-cycle: one element is removed; the others hold one dot each.
          expect(dotCount(T, s)).toBeLessThanOrEqual(ELEMENTS.length - 1 + c.perRemoved);
          expectCompacted(s, [A.replica]);
        }
        T.merge(s, c.add(s, el));
      }
      expect(dotCount(T, s)).toBe(ELEMENTS.length);
      expect(T.liveDots(s).size).toBe(ELEMENTS.length);
      expectCompacted(s, [A.replica]);
      const size = T.encode(s).length;
      const slack = seqSlack(first, s, [A.replica]);
      console.log(
        `metadata ${T.name}: ${CYCLES} cycles; encoded ${firstSize} B -> ${size} B ` +
          `(allowed varint growth ${slack} B)`,
      );
      expect(size).toBeLessThanOrEqual(firstSize + slack);
    });
  }

  it('RWSet: removed elements keep exactly one remove marker each', () => {
    const s = RWSet.empty();
    for (const el of ELEMENTS) RWSet.merge(s, RWSet.add(s, A, el));
    for (let i = 0; i < 1000; i++) {
      for (const el of ELEMENTS) RWSet.merge(s, RWSet.remove(s, A, el));
    }
    expect(RWSet.value(s).size).toBe(0);
    expect(dotCount(RWSet, s)).toBe(ELEMENTS.length);
    for (const el of ELEMENTS) expect(s.store.entries.get(el)).toHaveLength(1);
    expectCompacted(s, [A.replica]);
  });
});
