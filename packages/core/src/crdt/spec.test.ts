/**
 * Specification tests in the style of AntidoteDB's `crdt_satisfies_spec`: random causal
 * histories over several replicas are replayed, every operation is recorded with the operations
 * causally before it, and after every step the changed replica's value must equal a plain
 * specification evaluated over the operations visible at that replica. The specifications only
 * use the recorded operations and their causal order, never the CRDT's state.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareDots } from '../causal/dot.js';
import { compareTimestamps } from '../clock/timestamp.js';
import { type Key, type Value, valueEquals } from '../codec/value.js';
import {
  awSetCase,
  type BoundedOp,
  boundedCounterCase,
  type Checkpoint,
  converge,
  counterMapCase,
  gCounterCase,
  type HistoryRun,
  historyArb,
  keyList,
  lwwMapCase,
  lwwRegisterCase,
  type MapOp,
  mvRegisterCase,
  type NestedCounterOp,
  type NestedQuantityOp,
  type OpRecord,
  type ORSetOp,
  orSetCase,
  pickTag,
  pnCounterCase,
  type QuantityOp,
  quantityCase,
  quantityMapCase,
  recipientOf,
  registerMapCase,
  runHistory,
  rwSetCase,
  setMapCase,
  type TypeCase,
} from '../test-support/arbitraries.js';
import { BoundedCounter } from './bounded-counter.js';
import { PNCounter } from './counter.js';
import { orMap } from './or-map.js';
import { Quantity, QuantityBelowZeroError } from './quantity.js';
import { ORSet, type SetState } from './sets.js';

const RUNS = 200;

/** The operations visible at a replica that has seen `seen`. */
type Visible<Op> = readonly OpRecord<unknown, Op>[];

/** `a` happened before `b`. */
function before<Op>(a: OpRecord<unknown, Op>, b: OpRecord<unknown, Op>): boolean {
  return b.visible.has(a.id);
}

/** The ops of `ops` that no other op of `ops` follows. */
function maximal<Op>(ops: Visible<Op>): Visible<Op> {
  return ops.filter((a) => !ops.some((b) => before(a, b)));
}

/** The ops of `ops` that no op of `killers` follows. */
function notBefore<Op>(ops: Visible<Op>, killers: Visible<Op>): Visible<Op> {
  return ops.filter((a) => !killers.some((k) => before(a, k)));
}

function keysOf(ops: readonly { readonly op: { readonly key: Key } }[]): Key[] {
  const out: Key[] = [];
  for (const o of ops) if (!out.some((k) => Object.is(k, o.op.key))) out.push(o.op.key);
  return out;
}

function sameValues(a: readonly Value[], b: readonly Value[]): boolean {
  return a.length === b.length && a.every((v, i) => valueEquals(v, b[i]!));
}

/** Last-writer-wins among `writes`: the greatest (wall, counter, replica) timestamp. */
function lwwWinner<Op>(writes: Visible<Op>): OpRecord<unknown, Op> | undefined {
  let best: OpRecord<unknown, Op> | undefined;
  for (const w of writes) {
    if (best === undefined || compareTimestamps(w.timestamp!, best.timestamp!) > 0) best = w;
  }
  return best;
}

/**
 * Replays random histories of `c` and compares, after every step, the changed replica's value
 * with `spec` over the operations it has seen; finally, after all replicas converge, the value
 * with `spec` over every operation.
 */
function satisfiesSpec<S, V, Op>(
  c: TypeCase<S, V, Op>,
  spec: (visible: Visible<Op>, run: HistoryRun<S, Op>) => V,
  same: (actual: V, expected: V) => boolean,
  options: { causalClocks?: boolean; runs?: number } = {},
): void {
  fc.assert(
    fc.property(historyArb(c.op, { maxSteps: 24 }), (history) => {
      const run = runHistory(c, history, { causalClocks: options.causalClocks ?? true });
      const ops: Visible<Op> = run.ops;
      const check = (cp: Pick<Checkpoint<S>, 'state' | 'seen'>, where: string): void => {
        const visible = ops.filter((o) => cp.seen.has(o.id));
        const actual = c.type.value(cp.state);
        const expected = spec(visible, run);
        if (!same(actual, expected)) {
          expect.fail(
            `${where}: value ${show(actual)} but the specification says ${show(expected)} ` +
              `over ops [${visible.map((o) => `#${o.id}@${o.replica} ${JSON.stringify(o.op)}`).join(', ')}]`,
          );
        }
      };
      for (const cp of run.checkpoints)
        check(cp, `after step ${cp.step} at ${run.replicas[cp.at]}`);
      check(
        { state: converge(c.type, run.states), seen: new Set(ops.map((o) => o.id)) },
        'after convergence',
      );
    }),
    { numRuns: options.runs ?? RUNS },
  );
}

function show(v: unknown): string {
  if (v instanceof Map) return `Map(${JSON.stringify([...v].map(([k, x]) => [k, show(x)]))})`;
  if (v instanceof Set) return `Set(${JSON.stringify(keyList(v))})`;
  return JSON.stringify(v) ?? String(v);
}

function sameKeySet(a: Set<Key>, b: Set<Key>): boolean {
  const x = keyList(a);
  const y = keyList(b);
  return x.length === y.length && x.every((k, i) => k === y[i]);
}

function sameMap<V>(a: Map<Key, V>, b: Map<Key, V>, sameValue: (x: V, y: V) => boolean): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) {
    if (!b.has(k) || !sameValue(v, b.get(k)!)) return false;
  }
  return true;
}

describe('counters', () => {
  it('G-Counter: the sum of the visible increments', () => {
    satisfiesSpec(
      gCounterCase,
      (visible) => visible.reduce((sum, o) => sum + o.op.n, 0),
      (a, b) => a === b,
    );
  });

  it('PN-Counter: visible increments minus visible decrements', () => {
    satisfiesSpec(
      pnCounterCase,
      (visible) => visible.reduce((sum, o) => sum + (o.op.kind === 'inc' ? o.op.n : -o.op.n), 0),
      (a, b) => a === b,
    );
  });

  it('Bounded counter: the bound plus visible increments minus the decrements escrow allowed', () => {
    satisfiesSpec(
      boundedCounterCase,
      (visible, run) => {
        const done = escrow(run.ops);
        let value = BoundedCounter.lower;
        for (const o of visible) {
          const e = done[o.id]!;
          if (e.kind === 'inc') value += e.amount;
          if (e.kind === 'dec') value -= e.amount;
        }
        return value;
      },
      (a, b) => a === b,
    );
  });
});

/** What a bounded-counter op did: an increment, or rights spent on a decrement or a gift. */
type Escrowed =
  | { readonly kind: 'inc'; readonly amount: number }
  | { readonly kind: 'dec'; readonly amount: number }
  | { readonly kind: 'give'; readonly amount: number; readonly to: string };

/**
 * Escrow replayed from the operations alone: an op's actor holds the rights its causal past gave
 * it (its increments, gifts to it, less its decrements and gifts), a `dec` or `give` spends at
 * most those, and an actor with none increments instead (the test case's rule).
 */
function escrow(ops: Visible<BoundedOp>): Escrowed[] {
  const done: Escrowed[] = [];
  const rightsOf = (replica: string, past: ReadonlySet<number>): number => {
    let rights = 0;
    for (const id of past) {
      const e = done[id]!;
      const mine = ops[id]!.replica === replica;
      if (e.kind === 'inc' && mine) rights += e.amount;
      if (e.kind !== 'inc' && mine) rights -= e.amount;
      if (e.kind === 'give' && e.to === replica) rights += e.amount;
    }
    return rights;
  };
  for (const o of ops) {
    const spend = Math.min(o.op.n, rightsOf(o.replica, o.visible));
    if (o.op.kind === 'inc' || spend <= 0) done.push({ kind: 'inc', amount: o.op.n });
    else if (o.op.kind === 'dec') done.push({ kind: 'dec', amount: spend });
    else done.push({ kind: 'give', amount: spend, to: recipientOf(o.replica, o.op.to) });
  }
  return done;
}

describe('registers', () => {
  const sameOptional = (a: Value | undefined, b: Value | undefined): boolean =>
    a === undefined || b === undefined ? a === b : valueEquals(a, b);

  it('LWW-Register: the visible write with the greatest timestamp (clocks folded on sync)', () => {
    satisfiesSpec(lwwRegisterCase, (visible) => lwwWinner(visible)?.op.value, sameOptional);
  });

  it('LWW-Register: without clock exchange, the greatest among the causally maximal writes', () => {
    // A write replaces the writes it has seen even if its clock is behind theirs: the winner is
    // picked only among concurrent writes.
    satisfiesSpec(
      lwwRegisterCase,
      (visible) => lwwWinner(maximal(visible))?.op.value,
      sameOptional,
      {
        causalClocks: false,
      },
    );
  });

  it('MV-Register: the values of the causally maximal visible writes, ordered by dot', () => {
    satisfiesSpec(
      mvRegisterCase,
      (visible) =>
        maximal(visible)
          .slice()
          .sort((a, b) => compareDots(a.dot, b.dot))
          .map((o) => o.op.value),
      sameValues,
    );
  });
});

/**
 * LWW-Map: a key is present iff some visible set of it is not causally before a visible remove
 * of it; its value is the surviving set with the greatest timestamp (among the causally maximal
 * ones when clocks are not exchanged, since a set replaces the sets it has seen).
 */
function lwwMapSpec(visible: Visible<MapOp>, causalClocks: boolean): Map<Key, Value> {
  const out = new Map<Key, Value>();
  for (const key of keysOf(visible)) {
    const onKey = visible.filter((o) => Object.is(o.op.key, key));
    const sets = onKey.filter((o) => o.op.kind === 'set');
    const removes = onKey.filter((o) => o.op.kind === 'remove');
    const surviving = notBefore(sets, removes);
    const winner = lwwWinner(causalClocks ? surviving : maximal(surviving));
    if (winner !== undefined && winner.op.kind === 'set') out.set(key, winner.op.value);
  }
  return out;
}

describe('LWW-Map', () => {
  const same = (a: Map<Key, Value>, b: Map<Key, Value>) => sameMap(a, b, valueEquals);

  it('observed-remove keys, last-writer-wins values (clocks folded on sync)', () => {
    satisfiesSpec(lwwMapCase, (visible) => lwwMapSpec(visible, true), same);
  });

  it('observed-remove keys, last-writer-wins values (no clock exchange)', () => {
    satisfiesSpec(lwwMapCase, (visible) => lwwMapSpec(visible, false), same, {
      causalClocks: false,
    });
  });
});

describe('sets', () => {
  it('Add-Wins Set: present iff some visible add is not causally before a visible remove', () => {
    satisfiesSpec(
      awSetCase,
      (visible) => {
        const out = new Set<Key>();
        for (const o of visible) {
          if (o.op.kind !== 'add') continue;
          const removes = visible.filter(
            (r) => r.op.kind === 'remove' && Object.is(r.op.element, o.op.element),
          );
          if (notBefore([o], removes).length > 0) out.add(o.op.element);
        }
        return out;
      },
      sameKeySet,
    );
  });

  /**
   * The live OR-Set instances (adds) among `visible`: an add dies when a visible remove of its
   * element, or a visible removeTag naming its tag, has seen it.
   */
  function liveInstances(visible: Visible<ORSetOp>): Visible<ORSetOp> {
    return visible.filter((a) => {
      if (a.op.kind !== 'add') return false;
      const element = a.op.element;
      return !visible.some((r) => {
        if (!before(a, r)) return false;
        if (r.op.kind === 'remove') return Object.is(r.op.element, element);
        if (r.op.kind !== 'removeTag') return false;
        // The tag the op named, resolved as the mutator resolved it at that replica.
        const tag = pickTag(r.before as SetState, r.replica, r.op.element, r.op.pick);
        return compareDots(tag, a.dot) === 0;
      });
    });
  }

  it('OR-Set: present iff some visible add is neither removed by element nor by tag after it', () => {
    satisfiesSpec(
      orSetCase,
      (visible) => {
        const out = new Set<Key>();
        for (const a of liveInstances(visible)) if (a.op.kind === 'add') out.add(a.op.element);
        return out;
      },
      sameKeySet,
    );
  });

  it('OR-Set: the tags of an element are the dots of its live instances', () => {
    fc.assert(
      fc.property(historyArb(orSetCase.op), (history) => {
        const run = runHistory(orSetCase, history);
        for (const cp of run.checkpoints) {
          const visible = run.ops.filter((o) => cp.seen.has(o.id));
          const live = liveInstances(visible);
          for (const element of new Set(visible.map((o) => o.op.element))) {
            const expected = live
              .filter((a) => Object.is((a.op as { element: Key }).element, element))
              .map((a) => a.dot)
              .sort(compareDots);
            expect(ORSet.tags(cp.state, element).sort(compareDots)).toEqual(expected);
          }
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('Remove-Wins Set: present iff the maximal visible ops on the element are all adds', () => {
    satisfiesSpec(
      rwSetCase,
      (visible) => {
        const out = new Set<Key>();
        for (const element of new Set(visible.map((o) => o.op.element))) {
          const last = maximal(visible.filter((o) => Object.is(o.op.element, element)));
          if (last.length > 0 && last.every((o) => o.op.kind === 'add')) out.add(element);
        }
        return out;
      },
      sameKeySet,
    );
  });
});

describe('OR-Maps', () => {
  /**
   * OR-Map of PN-Counters. A key is present iff some visible increment or decrement of it is not
   * causally before a visible remove of it. Its value: each replica contributes its latest
   * visible change of the key, if that survives, with the running total that change wrote. A
   * replica's running total restarts from zero when a remove it has seen dropped its previous
   * entry.
   */
  function counterMapSpec(
    visible: Visible<NestedCounterOp>,
    all: Visible<NestedCounterOp>,
  ): Map<Key, number> {
    const total = new Map<number, number>();
    const removesOf = (key: Key, ops: Visible<NestedCounterOp>) =>
      ops.filter((r) => r.op.kind === 'remove' && Object.is(r.op.key, key));
    const changesOf = (key: Key, replica: string, ops: Visible<NestedCounterOp>) =>
      ops.filter(
        (o) => o.op.kind !== 'remove' && o.replica === replica && Object.is(o.op.key, key),
      );
    // Running totals, computed in op order: each op's own causal past decides what it built on.
    for (const o of all) {
      if (o.op.kind === 'remove') continue;
      const past = all.filter((p) => o.visible.has(p.id));
      const previous = changesOf(o.op.key, o.replica, past).at(-1);
      const kept =
        previous !== undefined && notBefore([previous], removesOf(o.op.key, past)).length > 0;
      const step = o.op.kind === 'inc' ? o.op.n : -o.op.n;
      total.set(o.id, (kept ? total.get(previous.id)! : 0) + step);
    }
    const out = new Map<Key, number>();
    for (const key of keysOf(visible)) {
      const removes = removesOf(key, visible);
      let present = false;
      let sum = 0;
      for (const replica of new Set(visible.map((o) => o.replica))) {
        const latest = changesOf(key, replica, visible).at(-1);
        if (latest !== undefined && notBefore([latest], removes).length > 0) {
          present = true;
          sum += total.get(latest.id)!;
        }
      }
      if (present) out.set(key, sum);
    }
    return out;
  }

  it('OR-Map<PN-Counter>: observed-remove keys; surviving per-replica totals', () => {
    satisfiesSpec(
      counterMapCase,
      (visible, run) => counterMapSpec(visible, run.ops),
      (a, b) => sameMap(a, b, (x, y) => x === y),
    );
  });

  it('OR-Map<PN-Counter>: a line removed and added again never shows its old total again', () => {
    const Cart = orMap(PNCounter);
    const [alice, bob] = [{ replica: 'alice' }, { replica: 'bob' }];
    const atAlice = Cart.empty();
    const five = Cart.update(atAlice, 'sku', (line) => PNCounter.increment(line, alice, 5));
    Cart.merge(atAlice, five);
    const atBob = Cart.clone(atAlice);
    const removal = Cart.remove(atBob, bob, 'sku');
    Cart.merge(atBob, removal);
    Cart.merge(atAlice, removal);
    const one = Cart.update(atAlice, 'sku', (line) => PNCounter.increment(line, alice, 1));
    // A reader that holds the 5 gets the re-add before the removal: 1, never 5 (or 6) after it.
    const reader = Cart.empty();
    Cart.merge(reader, five);
    expect(Cart.value(reader).get('sku')).toBe(5);
    Cart.merge(reader, one);
    expect(Cart.value(reader).get('sku')).toBe(1);
    Cart.merge(reader, removal);
    expect(Cart.value(reader).get('sku')).toBe(1);
  });

  it('OR-Map<PN-Counter>: key presence alone, as the plain observed-remove rule', () => {
    satisfiesSpec(
      counterMapCase,
      (visible) => {
        const out = new Map<Key, number>();
        for (const o of visible) {
          if (o.op.kind === 'remove') continue;
          const key = o.op.key;
          const removes = visible.filter((r) => r.op.kind === 'remove' && Object.is(r.op.key, key));
          if (notBefore([o], removes).length > 0) out.set(key, 0);
        }
        return out;
      },
      (a, b) => sameKeySet(new Set(a.keys()), new Set(b.keys())),
    );
  });

  it('OR-Map<AW-Set>: an element survives unless a remove of it or of its key has seen its add', () => {
    satisfiesSpec(
      setMapCase,
      (visible) => {
        const out = new Map<Key, Set<Key>>();
        for (const a of visible) {
          if (a.op.kind !== 'add') continue;
          const { key, element } = a.op;
          const killers = visible.filter(
            (r) =>
              Object.is(r.op.key, key) &&
              (r.op.kind === 'remove' ||
                (r.op.kind === 'removeElement' && Object.is(r.op.element, element))),
          );
          if (notBefore([a], killers).length === 0) continue;
          if (!out.has(key)) out.set(key, new Set());
          out.get(key)!.add(element);
        }
        return out;
      },
      (a, b) => sameMap(a, b, sameKeySet),
    );
  });

  it('OR-Map<MV-Register>: per key, the maximal visible writes no remove of the key has seen', () => {
    satisfiesSpec(
      registerMapCase,
      (visible) => {
        const out = new Map<Key, Value[]>();
        for (const key of keysOf(visible)) {
          const onKey = visible.filter((o) => Object.is(o.op.key, key));
          const writes = notBefore(
            maximal(onKey).filter((o) => o.op.kind === 'set'),
            onKey.filter((o) => o.op.kind === 'remove'),
          );
          if (writes.length === 0) continue;
          out.set(
            key,
            writes
              .slice()
              .sort((a, b) => compareDots(a.dot, b.dot))
              .map((o) => (o.op.kind === 'set' ? o.op.value : null)),
          );
        }
        return out;
      },
      (a, b) => sameMap(a, b, sameValues),
    );
  });
});

/** A unit of a quantity, named by its dot, as the specifications below track them. */
type Unit = `${string}:${number}`;

/**
 * Quantities from the operations alone. An increment of `n` adds the units `dot .. dot+n-1` of
 * its replica; a decrement takes, of the units live in its own causal past, the greatest
 * `(seq, replica)` first (an actor that sees none increments instead: the test case's rule); a
 * reset, or a removal of the key, takes every unit live in its causal past. A unit is live at a
 * replica iff the replica has seen the op that added it and none that took it. Returns the live
 * units per key (the key `''` for a plain quantity) of the ops `visible`.
 */
function liveUnits<Op extends QuantityOp | NestedQuantityOp>(
  visible: Visible<Op>,
  all: Visible<Op>,
): Map<unknown, Unit[]> {
  const keyOf = (op: Op): unknown => ('key' in op ? op.key : '');
  const added: Unit[][] = [];
  const taken: Unit[][] = [];
  const live = (ids: Iterable<number>, key: unknown): Unit[] => {
    const ops = [...ids].map((id) => all[id]!).filter((o) => Object.is(keyOf(o.op), key));
    const gone = new Set(ops.flatMap((o) => taken[o.id]!));
    return ops.flatMap((o) => added[o.id]!).filter((u) => !gone.has(u));
  };
  const seqOf = (u: Unit): number => Number(u.slice(u.lastIndexOf(':') + 1));
  const replicaOf = (u: Unit): string => u.slice(0, u.lastIndexOf(':'));
  const greatestFirst = (a: Unit, b: Unit): number =>
    seqOf(b) - seqOf(a) || (replicaOf(a) < replicaOf(b) ? 1 : replicaOf(a) > replicaOf(b) ? -1 : 0);
  for (const o of all) {
    const before = live(o.visible, keyOf(o.op));
    const { kind } = o.op;
    const n = 'n' in o.op ? o.op.n : 0;
    const increments = kind === 'inc' || (kind === 'dec' && before.length === 0);
    added[o.id] = increments
      ? Array.from({ length: n }, (_, i): Unit => `${o.replica}:${o.dot.seq + i}`)
      : [];
    taken[o.id] =
      kind === 'dec' && !increments
        ? before.sort(greatestFirst).slice(0, n)
        : increments
          ? []
          : before;
  }
  const out = new Map<unknown, Unit[]>();
  const ids = visible.map((o) => o.id);
  for (const o of visible) {
    const key = keyOf(o.op);
    if (out.has(key)) continue;
    const units = live(ids, key);
    if (units.length > 0) out.set(key, units);
  }
  return out;
}

describe('Quantity', () => {
  it('the units added and not taken by an op that saw them; decrements take the greatest first', () => {
    satisfiesSpec(
      quantityCase,
      (visible, run) => liveUnits(visible, run.ops).get('')?.length ?? 0,
      (a, b) => a === b,
    );
  });

  it('OR-Map<Quantity>: a key holds the units no decrement, reset or removal of it has seen', () => {
    satisfiesSpec(
      quantityMapCase,
      (visible, run) => {
        const out = new Map<Key, number>();
        for (const [key, units] of liveUnits(visible, run.ops)) out.set(key as Key, units.length);
        return out;
      },
      (a, b) => sameMap(a, b, (x, y) => x === y),
    );
  });

  it('three replicas at 2 that each take one away offline converge to 1', () => {
    const [a, b, c] = [{ replica: 'a' }, { replica: 'b' }, { replica: 'c' }];
    const line = Quantity.empty();
    Quantity.merge(line, Quantity.increment(line, a, 1));
    Quantity.merge(line, Quantity.increment(line, b, 1));
    const tabs = [a, b, c].map(() => Quantity.clone(line));
    const deltas = [a, b, c].map((actor, i) => Quantity.decrement(tabs[i]!, actor, 1));
    for (const [i, d] of deltas.entries()) Quantity.merge(tabs[i]!, d);
    expect(tabs.map((t) => Quantity.value(t))).toEqual([1, 1, 1]);
    for (const t of tabs) for (const d of deltas) Quantity.merge(t, d);
    expect(tabs.map((t) => Quantity.value(t))).toEqual([1, 1, 1]);
    // A PN-Counter in the same situation goes below zero.
    const pn = PNCounter.empty();
    PNCounter.merge(pn, PNCounter.increment(pn, a, 2));
    const pnDeltas = [a, b, c].map((actor) => PNCounter.decrement(pn, actor, 1));
    for (const d of pnDeltas) PNCounter.merge(pn, d);
    expect(PNCounter.value(pn)).toBe(-1);
  });

  it('concurrent decrements count once where they took the same units, and never go below zero', () => {
    const [a, b] = [{ replica: 'a' }, { replica: 'b' }];
    const start = Quantity.empty();
    Quantity.merge(start, Quantity.increment(start, a, 2)); // units a:1, a:2
    const more = Quantity.increment(start, b, 1); // b:1, concurrent with what follows
    const atB = Quantity.join(start, more);
    // Both take the greatest unit each sees: a:2 (seq 2 beats b:1). The result is what the
    // larger of the two left: 2, where increments less decrements would be 1.
    const takeA = Quantity.decrement(start, a, 1);
    const takeB = Quantity.decrement(atB, b, 1);
    const merged = [more, takeA, takeB].reduce((s, d) => Quantity.join(s, d), start);
    expect(Quantity.value(merged)).toBe(2);
    // Taking everything each saw, from either view, leaves nothing and nothing below it.
    const all = [more, Quantity.decrement(start, a, 2), Quantity.decrement(atB, b, 3)];
    expect(Quantity.value(all.reduce((s, d) => Quantity.join(s, d), start))).toBe(0);
  });

  it('a decrement beyond the value throws a typed error and returns no delta', () => {
    const a = { replica: 'a' };
    const q = Quantity.empty();
    Quantity.merge(q, Quantity.increment(q, a, 2));
    const err = (() => {
      try {
        Quantity.decrement(q, a, 3);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(QuantityBelowZeroError);
    expect(err).toMatchObject({ code: 'quantity-below-zero', requested: 3, available: 2 });
    expect(Quantity.value(q)).toBe(2);
    expect(() => Quantity.decrement(Quantity.empty(), a)).toThrow(QuantityBelowZeroError);
  });

  it('OR-Map<Quantity>: a removal concurrent with an increment keeps only the unseen units', () => {
    const Cart = orMap(Quantity);
    const [phone, laptop] = [{ replica: 'phone' }, { replica: 'laptop' }];
    const atPhone = Cart.empty();
    const apply = (state: typeof atPhone, delta: typeof atPhone) => {
      Cart.merge(state, delta);
      return delta;
    };
    // The phone adds 3, the laptop sees them; offline, the phone adds 1 more, the laptop removes.
    const three = apply(
      atPhone,
      Cart.update(atPhone, 'sku', (l) => Quantity.increment(l, phone, 3)),
    );
    const atLaptop = Cart.clone(atPhone);
    const one = apply(
      atPhone,
      Cart.update(atPhone, 'sku', (l) => Quantity.increment(l, phone, 1)),
    );
    const removal = apply(atLaptop, Cart.remove(atLaptop, laptop, 'sku'));
    expect(Cart.value(atLaptop).has('sku')).toBe(false);
    Cart.merge(atPhone, removal);
    Cart.merge(atLaptop, one);
    Cart.merge(atLaptop, three); // a late duplicate brings nothing back
    expect(Cart.value(atPhone).get('sku')).toBe(1);
    expect(Cart.equals(atPhone, atLaptop)).toBe(true);
    // The PN-Counter line comes back with the phone's whole running total, 4.
    const PnCart = orMap(PNCounter);
    const pnPhone = PnCart.empty();
    PnCart.merge(
      pnPhone,
      PnCart.update(pnPhone, 'sku', (l) => PNCounter.increment(l, phone, 3)),
    );
    const pnLaptop = PnCart.clone(pnPhone);
    PnCart.merge(
      pnPhone,
      PnCart.update(pnPhone, 'sku', (l) => PNCounter.increment(l, phone, 1)),
    );
    PnCart.merge(pnPhone, PnCart.remove(pnLaptop, laptop, 'sku'));
    expect(PnCart.value(pnPhone).get('sku')).toBe(4);
  });

  it('a line taken down to zero leaves the map; reset takes only the units it saw', () => {
    const Cart = orMap(Quantity);
    const [a, b] = [{ replica: 'a' }, { replica: 'b' }];
    const cart = Cart.empty();
    Cart.merge(
      cart,
      Cart.update(cart, 'sku', (l) => Quantity.increment(l, a, 2)),
    );
    Cart.merge(
      cart,
      Cart.update(cart, 'sku', (l) => Quantity.decrement(l, a, 2)),
    );
    expect(Cart.value(cart).size).toBe(0);
    expect(cart.store.entries.size).toBe(0);

    const q = Quantity.empty();
    Quantity.merge(q, Quantity.increment(q, a, 2));
    const concurrent = Quantity.increment(q, b, 5);
    const reset = Quantity.reset(q, a);
    expect(reset.store).toEqual([]);
    Quantity.merge(q, reset);
    expect(Quantity.value(q)).toBe(0);
    Quantity.merge(q, concurrent);
    expect(Quantity.value(q)).toBe(5);
  });
});
