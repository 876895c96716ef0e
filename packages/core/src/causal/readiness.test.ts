/**
 * The readiness rule (readiness.ts) and the causal buffer (causal-buffer.ts): explicit cases,
 * the rule against a model, and random multi-replica histories delivered in random orders
 * through the buffer, checking every state a reader could observe.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Value } from '../codec/value.js';
import type { CrdtState, CrdtType } from '../crdt/crdt-type.js';
import { MVRegister } from '../crdt/mv-register.js';
import {
  type AnyTypeCase,
  awSetCase,
  converge,
  counterMapCase,
  historyArb,
  lwwMapCase,
  lwwRegisterCase,
  mvRegisterCase,
  type OpRecord,
  registerMapCase,
  runHistory,
  shuffled,
} from '../test-support/arbitraries.js';
import { CausalBuffer } from './causal-buffer.js';
import { CausalContext } from './causal-context.js';
import { causalReadiness, unseenDots } from './readiness.js';

const A = { replica: 'a' };
const B = { replica: 'b' };
const C = { replica: 'c' };

/**
 * v1 = a:1; v2 = b:1 replaces v1; v3 = c:1 replaces v2 (its context names b:1 only). Each write
 * is made by a replica that has seen the previous ones.
 */
function registerChain() {
  const writer = MVRegister.empty();
  const v1 = MVRegister.set(writer, A, 'v1');
  MVRegister.merge(writer, v1);
  const v2 = MVRegister.set(writer, B, 'v2');
  MVRegister.merge(writer, v2);
  const v3 = MVRegister.set(writer, C, 'v3');
  return { v1, v2, v3 };
}

const ctx = (...dots: [string, number][]) =>
  CausalContext.of(dots.map(([replica, seq]) => ({ replica, seq })));

describe('causalReadiness', () => {
  it('v3 before v2 is not ready; v1, then v2, then v3 are, one by one', () => {
    const { v1, v2, v3 } = registerChain();
    const seen = new CausalContext();
    expect(causalReadiness(v3.context, seen).ready).toBe(false);
    expect(causalReadiness(v3.context, seen, 'one-writer').ready).toBe(false);
    expect(causalReadiness(v2.context, seen).ready).toBe(false);
    expect(causalReadiness(v1.context, seen).ready).toBe(true);
    seen.join(v1.context);
    expect(causalReadiness(v2.context, seen).ready).toBe(true);
    expect(causalReadiness(v3.context, seen).ready).toBe(false);
    seen.join(v2.context);
    const r = causalReadiness(v3.context, seen);
    expect(r.ready).toBe(true);
    expect(r.unseen.toString()).toBe('{c:1}');
  });

  it('a duplicate is ready, with nothing unseen', () => {
    const r = causalReadiness(ctx(['a', 1], ['b', 2]), ctx(['a', 1], ['b', 1], ['b', 2]));
    expect(r).toMatchObject({ ready: true });
    expect(r.unseen.isEmpty).toBe(true);
  });

  it('one-writer admits a write whose own earlier write is missing; strict waits for it', () => {
    // b:1 replaced a:1, then b:2 replaced b:1. A receiver holding a:1 that merged b:2 first
    // would read [v1, b:2's value] although b had replaced v1 before writing b:2.
    const b2 = ctx(['b', 1], ['b', 2]);
    const seen = ctx(['a', 1]);
    expect(causalReadiness(b2, seen, 'one-writer').ready).toBe(true);
    expect(causalReadiness(b2, seen, 'strict').ready).toBe(false);
    expect(causalReadiness(b2, ctx(['a', 1], ['b', 1])).ready).toBe(true);
  });

  it('counts what another pass released but the receiver has not merged yet', () => {
    const r = causalReadiness(
      ctx(['a', 1], ['b', 1]),
      new CausalContext(),
      'strict',
      ctx(['a', 1]),
    );
    expect(r.ready).toBe(true);
    expect(r.unseen.toString()).toBe('{b:1}');
  });

  it('unseenDots equals subtract, for any two contexts', () => {
    const contextArb = fc
      .array(
        fc.record({
          replica: fc.constantFrom('a', 'b', 'c'),
          start: fc.integer({ min: 1, max: 40 }),
          len: fc.nat({ max: 6 }),
        }),
        { maxLength: 10 },
      )
      .map((spans) => {
        const c = new CausalContext();
        for (const s of spans) c.addRange(s.replica, s.start, s.start + s.len);
        return c;
      });
    fc.assert(
      fc.property(contextArb, contextArb, (delta, seen) => {
        expect(unseenDots(delta, seen).equals(delta.subtract(seen))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});

describe('CausalBuffer', () => {
  it('[v1, v3] is never shown: v3 and v2 wait for v1, then come out in order', () => {
    const { v1, v2, v3 } = registerChain();
    const reader = MVRegister.empty();
    const buffer = new CausalBuffer({
      seen: () => reader.context,
      contextOf: (d: CrdtState<unknown>) => d.context,
    });
    const shown: Value[][] = [];
    const offer = (d: typeof v1) => {
      for (const r of buffer.add(d).ready) {
        MVRegister.merge(reader, r as typeof v1);
        shown.push(MVRegister.value(reader));
      }
    };
    offer(v3);
    offer(v2);
    expect(buffer.size).toBe(2);
    offer(v1);
    expect(shown).toEqual([['v1'], ['v2'], ['v3']]);
    expect(buffer.size).toBe(0);
  });

  it('a whole state releases what it covers; a full buffer reports overflow', () => {
    const { v1, v2, v3 } = registerChain();
    const reader = MVRegister.empty();
    const buffer = new CausalBuffer({
      seen: () => reader.context,
      contextOf: (d: typeof v1) => d.context,
      maxHeld: 1,
    });
    expect(buffer.add(v3, 7)).toEqual({ ready: [], overflow: false });
    expect(buffer.heldSince).toBe(7);
    expect(buffer.add(v2, 8)).toEqual({ ready: [], overflow: true });
    expect(buffer.waitingFor().toString()).toBe('{b:1 c:1}');
    // A sync reply: the sender's state after v2.
    const state = MVRegister.join(v1, v2);
    MVRegister.merge(reader, state);
    const released = buffer.release();
    expect(released).toEqual([v3]);
    MVRegister.merge(reader, v3);
    expect(MVRegister.value(reader)).toEqual(['v3']);
    expect(buffer.heldSince).toBeUndefined();
  });

  it('after a delta merged outside the buffer, release(grown) rechecks only what waits on it', () => {
    const { v1, v2, v3 } = registerChain();
    const reader = MVRegister.empty();
    const buffer = new CausalBuffer({
      seen: () => reader.context,
      contextOf: (d: typeof v1) => d.context,
    });
    buffer.add(v3);
    MVRegister.merge(reader, v1);
    expect(buffer.release(v1.context)).toEqual([]);
    MVRegister.merge(reader, v2);
    expect(buffer.release(v2.context)).toEqual([v3]);
    expect(buffer.clear()).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// Random histories through the buffer

interface BufferedCase {
  readonly c: AnyTypeCase;
  /**
   * Whether the writes seen must also be closed under happens-before. They must for registers:
   * a write's context names every write its writer still held, and those name the ones they
   * replaced, so everything a write's writer had seen is named by a chain of contexts. Not for
   * maps and sets: a removal's own dot is held by no store, so a later write of the key names
   * nothing (architecture.md §2.1, "what no rule over contexts sees"); only the first check
   * holds there.
   */
  readonly closed: boolean;
}

const CASES: BufferedCase[] = [
  { c: mvRegisterCase as unknown as AnyTypeCase, closed: true },
  { c: lwwRegisterCase as unknown as AnyTypeCase, closed: true },
  { c: lwwMapCase as unknown as AnyTypeCase, closed: false },
  { c: awSetCase as unknown as AnyTypeCase, closed: false },
  { c: registerMapCase as unknown as AnyTypeCase, closed: false },
  { c: counterMapCase as unknown as AnyTypeCase, closed: false },
];

type Delivery =
  | { readonly kind: 'op'; readonly pick: number }
  | { readonly kind: 'state'; readonly pick: number };

const deliveryArb = fc.record({
  order: fc.nat(),
  extra: fc.array(
    fc.record({
      kind: fc.constantFrom('op' as const, 'op' as const, 'state' as const),
      pick: fc.nat(),
    }),
    { maxLength: 6 },
  ),
});

/**
 * Delivers every op's delta in a random order (plus duplicates and some replica states) through
 * a buffer into a fresh receiver, and after every merge checks what a reader would see.
 */
function deliver(
  bc: BufferedCase,
  ops: readonly OpRecord<unknown, unknown>[],
  states: readonly CrdtState<unknown>[],
  order: number,
  extra: readonly Delivery[],
  type: CrdtType<unknown, unknown>,
): CrdtState<unknown> {
  const receiver = type.empty();
  const buffer = new CausalBuffer({
    seen: () => receiver.context,
    contextOf: (d: CrdtState<unknown>) => d.context,
    maxHeld: 10_000,
  });
  const schedule: Delivery[] = shuffled(
    ops.map((o) => ({ kind: 'op', pick: o.id }) as Delivery),
    order,
  );
  // Duplicates and whole states (a sync reply: some replica's state at some point) go anywhere.
  extra.forEach((d, i) => {
    schedule.splice((d.pick + i) % (schedule.length + 1), 0, d);
  });

  const check = (after: string) => {
    // 1. No superseded write: the receiver's state is exactly the join of the writes it has
    //    seen. A write it holds whose replacement it has seen would make it differ.
    const seenOps = ops.filter((o) => receiver.context.contains(o.dot));
    const expected = type.empty();
    for (const o of seenOps) type.merge(expected, o.delta);
    if (!type.equals(receiver, expected)) {
      throw new Error(
        `${after}: reader shows ${JSON.stringify(render(type.value(receiver)))}, ` +
          `the writes it has seen make ${JSON.stringify(render(type.value(expected)))}`,
      );
    }
    // 2. For registers, the writes seen are a causally consistent cut: a write seen means
    //    every write its writer had seen is seen too.
    if (!bc.closed) return;
    const seenIds = new Set(seenOps.map((o) => o.id));
    for (const o of seenOps) {
      for (const before of o.visible) {
        if (!seenIds.has(before)) {
          throw new Error(`${after}: op ${o.id} is seen but op ${before}, before it, is not`);
        }
      }
    }
  };

  schedule.forEach((d, step) => {
    if (d.kind === 'state') {
      if (states.length === 0) return;
      type.merge(receiver, type.clone(states[d.pick % states.length]!));
      check(`step ${step} (a state)`);
      for (const r of buffer.release()) {
        type.merge(receiver, r);
        check(`step ${step} (released after a state)`);
      }
      return;
    }
    const op = ops[d.pick % ops.length];
    if (op === undefined) return;
    const { ready, overflow } = buffer.add(type.clone(op.delta));
    expect(overflow).toBe(false);
    for (const r of ready) {
      type.merge(receiver, r);
      check(`step ${step} (op ${op.id})`);
    }
  });
  expect(buffer.size).toBe(0);
  return receiver;
}

function render(v: unknown): unknown {
  if (v instanceof Map) return [...v].map(([k, x]) => [k, render(x)]);
  if (v instanceof Set) return [...v];
  return v;
}

describe('random histories delivered out of order through the buffer', () => {
  for (const bc of CASES) {
    it(`${bc.c.name}: every state a reader sees is the join of what it has seen; all converge`, () => {
      fc.assert(
        fc.property(historyArb(bc.c.op, { maxSteps: 30 }), deliveryArb, (history, d) => {
          const run = runHistory(bc.c, history);
          const checkpoints = run.checkpoints.map((c) => c.state);
          const final = deliver(bc, run.ops, checkpoints, d.order, d.extra, bc.c.type);
          expect(bc.c.type.equals(final, converge(bc.c.type, run.states))).toBe(true);
        }),
        { numRuns: 150 },
      );
    });
  }

  it('without the buffer the same deliveries show superseded writes (the check has teeth)', () => {
    // Sanity of the property: merging in arrival order must fail it for some history.
    const found = fc.check(
      fc.property(historyArb(mvRegisterCase.op, { maxSteps: 30 }), fc.nat(), (history, order) => {
        const run = runHistory(mvRegisterCase, history);
        const receiver = MVRegister.empty();
        for (const id of shuffled(
          run.ops.map((o) => o.id),
          order,
        )) {
          MVRegister.merge(receiver, run.ops[id]!.delta);
          const expected = MVRegister.empty();
          for (const o of run.ops) {
            if (receiver.context.contains(o.dot)) MVRegister.merge(expected, o.delta);
          }
          if (!MVRegister.equals(receiver, expected)) return false;
        }
        return true;
      }),
      { numRuns: 300 },
    );
    expect(found.failed).toBe(true);
  });
});
