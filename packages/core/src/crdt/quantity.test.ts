import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CausalContext } from '../causal/causal-context.js';
import type { ReplicaId } from '../causal/replica-id.js';
import { InvalidArgumentError, ValidationError } from '../errors.js';
import {
  type Admitted,
  decodeDeltaOf,
  type ValidationRules,
  validateDelta,
} from '../validation/validate-delta.js';
import { PNCounter } from './counter.js';
import type { CrdtState, CrdtType } from './crdt-type.js';
import type { DotFun } from './dot-fun.js';
import { orMap } from './or-map.js';
import { MAX_QUANTITY_STEP, Quantity, type QuantityState } from './quantity.js';
import { decodeState } from './registry.js';

const ALICE: ReplicaId = 'a0a0a0a0a0a0a0';
const MALLORY: ReplicaId = 'c0c0c0c0c0c0c0';
const alice = { replica: ALICE };
const mallory = { replica: MALLORY };
const Cart = orMap(Quantity);

/** Units `from..to` of `replica`, as a store. */
function units(replica: ReplicaId, from: number, to: number): DotFun<true> {
  const out: DotFun<true> = [];
  for (let seq = from; seq <= to; seq++) out.push({ replica, seq, value: true });
  return out;
}

/** A hand-built delta: the context as `[replica, from, to]` ranges, and a store. */
function delta(ranges: [ReplicaId, number, number][], store: DotFun<true>): QuantityState {
  const context = new CausalContext();
  for (const [replica, from, to] of ranges) context.addRange(replica, from, to);
  return { context, store };
}

/** Validates `d` (through the codec, as a relay receives it) from a writer bound to `replica`. */
function admit<S>(
  type: CrdtType<S, unknown>,
  current: CrdtState<S>,
  d: CrdtState<S>,
  replica: ReplicaId,
  rules: Partial<ValidationRules> = {},
): Admitted {
  const received = decodeDeltaOf(type, type.encode(d));
  return validateDelta(type, current, received, { replicas: new Set([replica]), ...rules });
}

function ruleOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof ValidationError) return err.rule;
    throw err;
  }
  return undefined;
}

describe('Quantity mutators', () => {
  it('an increment of n mints the next n dots of its replica, with no gap', () => {
    const q = Quantity.empty();
    Quantity.merge(q, Quantity.increment(q, alice, 2));
    const d = Quantity.increment(q, alice, 3);
    expect(d.store).toEqual(units(ALICE, 3, 5));
    expect(d.context.rangesOf(ALICE)).toEqual([3, 5]);
    Quantity.merge(q, d);
    expect(Quantity.value(q)).toBe(5);
    expect(q.context.rangesOf(ALICE)).toEqual([1, 5]);
  });

  it('refuses amounts that are not positive integers, or above MAX_QUANTITY_STEP', () => {
    const q = Quantity.empty();
    for (const bad of [0, -1, 1.5, Number.NaN, MAX_QUANTITY_STEP + 1]) {
      expect(() => Quantity.increment(q, alice, bad)).toThrow(InvalidArgumentError);
    }
    expect(() => Quantity.decrement(q, alice, 0)).toThrow(InvalidArgumentError);
    expect(Quantity.value(Quantity.join(q, Quantity.increment(q, alice, MAX_QUANTITY_STEP)))).toBe(
      MAX_QUANTITY_STEP,
    );
  });

  it('a decrement takes the greatest (seq, replica) units; its delta is a context with its own dot', () => {
    const q = Quantity.empty();
    Quantity.merge(q, delta([[ALICE, 1, 3]], units(ALICE, 1, 3)));
    Quantity.merge(q, delta([[MALLORY, 1, 3]], units(MALLORY, 3, 3)));
    const d = Quantity.decrement(q, alice, 2);
    expect(d.store).toEqual([]);
    // a:3 and c:3 tie on seq; the greater replica id goes first; then a:3. Alice's own dot is 4.
    expect(
      d.context.equals(
        delta(
          [
            [ALICE, 3, 4],
            [MALLORY, 3, 3],
          ],
          [],
        ).context,
      ),
    ).toBe(true);
    Quantity.merge(q, d);
    expect(q.store.map((u) => `${u.replica}:${u.seq}`).sort()).toEqual([
      `${ALICE}:1`,
      `${ALICE}:2`,
    ]);
  });

  it('costs one dot per live unit: removed units fold into the context', () => {
    const q = Quantity.empty();
    for (let i = 0; i < 10; i++) Quantity.merge(q, Quantity.increment(q, alice, 5));
    const full = Quantity.encode(q).length;
    Quantity.merge(q, Quantity.decrement(q, alice, 48));
    expect(Quantity.value(q)).toBe(2);
    expect(q.context.rangesOf(ALICE)).toEqual([1, 51]);
    expect(Quantity.encode(q).length).toBeLessThan(full / 4);
  });

  it('decodes by its type id, alone and as the values of an OR-Map', () => {
    const q = Quantity.empty();
    Quantity.merge(q, Quantity.increment(q, alice, 3));
    expect(decodeState(Quantity.encode(q)).type).toBe(Quantity);
    const cart = Cart.empty();
    Cart.merge(
      cart,
      Cart.update(cart, 'sku', (line) => Quantity.increment(line, alice, 2)),
    );
    const back = decodeState(Cart.encode(cart));
    expect(back.type).toBe(Cart);
    expect(Cart.toJson(back.state)).toEqual({ sku: 2 });
    expect(Quantity.toJson(q)).toBe(3);
  });
});

describe('Quantity admission (hostile writers)', () => {
  const relayAt = (): QuantityState => {
    const s = Quantity.empty();
    Quantity.merge(s, delta([[ALICE, 1, 3]], units(ALICE, 1, 3)));
    return s;
  };

  it('admits what honest writers send: increments, decrements of anyone’s units, resets', () => {
    const s = relayAt();
    const atMallory = Quantity.clone(s);
    const inc = Quantity.increment(atMallory, mallory, 2);
    expect(admit(Quantity, s, inc, MALLORY)).toBe('write');
    Quantity.merge(s, inc);
    Quantity.merge(atMallory, inc);
    // Removing units is the decrement's semantics, whoever added them.
    const dec = Quantity.decrement(atMallory, mallory, 4);
    expect(admit(Quantity, s, dec, MALLORY)).toBe('write');
    Quantity.merge(s, dec);
    expect(admit(Quantity, s, inc, MALLORY)).toBe('replay');
    Quantity.merge(atMallory, dec);
    expect(admit(Quantity, s, Quantity.reset(atMallory, mallory), MALLORY)).toBe('write');
  });

  it('foreign-dot: units minted for another replica, new or already known', () => {
    const s = relayAt();
    expect(
      ruleOf(() => admit(Quantity, s, delta([[ALICE, 4, 4]], units(ALICE, 4, 4)), MALLORY)),
    ).toBe('foreign-dot');
    const known = delta(
      [
        [ALICE, 1, 1],
        [MALLORY, 1, 1],
      ],
      [...units(ALICE, 1, 1), ...units(MALLORY, 1, 1)],
    );
    expect(ruleOf(() => admit(Quantity, s, known, MALLORY))).toBe('foreign-dot');
  });

  it('counter-increment: more new units in one delta than MAX_QUANTITY_STEP or maxCounterStep', () => {
    const s = relayAt();
    const flood = delta(
      [[MALLORY, 1, MAX_QUANTITY_STEP + 1]],
      units(MALLORY, 1, MAX_QUANTITY_STEP + 1),
    );
    expect(ruleOf(() => admit(Quantity, s, flood, MALLORY))).toBe('counter-increment');
    const most = delta([[MALLORY, 1, MAX_QUANTITY_STEP]], units(MALLORY, 1, MAX_QUANTITY_STEP));
    expect(admit(Quantity, s, most, MALLORY)).toBe('write');
    const three = delta([[MALLORY, 1, 3]], units(MALLORY, 1, 3));
    expect(ruleOf(() => admit(Quantity, s, three, MALLORY, { maxCounterStep: 2 }))).toBe(
      'counter-increment',
    );
    // Under a map key too, where the value type's rule applies per key.
    const cart = Cart.empty();
    const line = Cart.update(cart, 'sku', () => flood);
    expect(ruleOf(() => admit(Cart, cart, line, MALLORY))).toBe('counter-increment');
  });

  it('units the receiver has seen do not count again: a known write delivered with a new one', () => {
    const s = Quantity.empty();
    const first = delta([[MALLORY, 1, MAX_QUANTITY_STEP]], units(MALLORY, 1, MAX_QUANTITY_STEP));
    Quantity.merge(s, first);
    const next = delta(
      [[MALLORY, 1, MAX_QUANTITY_STEP + 1]],
      units(MALLORY, 1, MAX_QUANTITY_STEP + 1),
    );
    expect(admit(Quantity, s, next, MALLORY)).toBe('write');
  });

  it('unknown-context: a removal of units the relay has not seen from another replica', () => {
    const s = relayAt();
    const ahead = delta(
      [
        [ALICE, 1, 9],
        [MALLORY, 1, 1],
      ],
      [],
    );
    expect(ruleOf(() => admit(Quantity, s, ahead, MALLORY))).toBe('unknown-context');
  });

  it('type-mismatch: a PN-Counter delta sent to a quantity document', () => {
    const pn = PNCounter.increment(PNCounter.empty(), mallory, 5);
    expect(ruleOf(() => decodeDeltaOf(Quantity, PNCounter.encode(pn)))).toBe('type-mismatch');
  });

  it('no admitted delta adds more than the step, whatever a writer sends (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom(ALICE, MALLORY), fc.integer({ min: 1, max: 40 })), {
          maxLength: 30,
        }),
        fc.integer({ min: 1, max: 8 }),
        (dots, step) => {
          const s = relayAt();
          const store = new Map(
            dots.map(([r, seq]) => [`${r}:${seq}`, { replica: r, seq, value: true as const }]),
          );
          const d: QuantityState = {
            context: CausalContext.of(store.values()),
            store: [...store.values()],
          };
          d.context.add(MALLORY, 1);
          let admitted = false;
          try {
            admit(Quantity, s, d, MALLORY, { maxCounterStep: step });
            admitted = true;
          } catch (err) {
            expect(err).toBeInstanceOf(ValidationError);
          }
          if (!admitted) return;
          const before = Quantity.value(s);
          Quantity.merge(s, d);
          expect(d.store.every((u) => u.replica === MALLORY)).toBe(true);
          expect(Quantity.value(s) - before).toBeLessThanOrEqual(step);
        },
      ),
    );
  });
});
