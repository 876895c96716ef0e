import { describe, expect, it } from 'vitest';
import type { ReplicaId } from '../causal/replica-id.js';
import { HybridLogicalClock } from '../clock/hybrid-logical-clock.js';
import { GCounter, PNCounter } from '../crdt/counter.js';
import type { CrdtState, CrdtType } from '../crdt/crdt-type.js';
import { LWWMap } from '../crdt/lww-map.js';
import { LWWRegister } from '../crdt/lww-register.js';
import { MVRegister } from '../crdt/mv-register.js';
import { orMap } from '../crdt/or-map.js';
import { AWSet } from '../crdt/sets.js';
import { DecodeError, ValidationError, type ValidationRule } from '../errors.js';
import {
  type Admitted,
  decodeDeltaOf,
  type ValidationRules,
  validateDelta,
} from './validate-delta.js';

/**
 * A relay keeps each document's state and, for each connection, the replica ids bound to it.
 * Every delta arrives as bytes: it is decoded as the document's type, validated against the
 * current state, and only then merged. These tests drive that pipeline with real clients.
 */
const NOW = 1_700_000_000_000;
const ALICE: ReplicaId = 'a0a0a0a0a0a0a0';
const BOB: ReplicaId = 'b0b0b0b0b0b0b0';
const MALLORY: ReplicaId = 'c0c0c0c0c0c0c0';

class Relay<S> {
  readonly state: CrdtState<S>;

  constructor(readonly type: CrdtType<S, unknown>) {
    this.state = type.empty();
  }

  /** Decodes, validates and merges a delta from a connection bound to `replica`. */
  accept(replica: ReplicaId, bytes: Uint8Array, extra: Partial<ValidationRules> = {}): Admitted {
    const delta = decodeDeltaOf(this.type, bytes);
    const rules: ValidationRules = { replicas: new Set([replica]), now: () => NOW, ...extra };
    const before = this.type.encode(this.state);
    const snapshot = this.type.clone(this.state);
    let admitted: Admitted;
    try {
      admitted = validateDelta(this.type, this.state, delta, rules);
    } finally {
      // Validation reads `current` and never changes it, whether it passes or throws.
      expect(this.type.equals(this.state, snapshot)).toBe(true);
      expect(this.type.encode(this.state)).toEqual(before);
    }
    this.type.merge(this.state, delta);
    return admitted;
  }
}

/** A client: its own state, and deltas it applies locally and uploads as bytes. */
class Client<S> {
  readonly state: CrdtState<S>;
  readonly clock: HybridLogicalClock;

  constructor(
    readonly type: CrdtType<S, unknown>,
    readonly replica: ReplicaId,
    clockSkewMs = 0,
  ) {
    this.state = type.empty();
    this.clock = new HybridLogicalClock({ replica, now: () => NOW + clockSkewMs });
  }

  /** Applies a local mutation and returns the bytes to upload. */
  do(mutate: (state: CrdtState<S>, client: Client<S>) => CrdtState<S>): Uint8Array {
    const delta = mutate(this.state, this);
    this.type.merge(this.state, delta);
    return this.type.encode(delta);
  }

  /** Catches up with a relay (or a peer) the way anti-entropy does. */
  pull(from: CrdtState<S>): void {
    this.type.merge(this.state, this.type.deltaSince(from, this.type.digest(this.state)));
  }
}

function ruleOf(run: () => void): ValidationRule | 'accepted' {
  try {
    run();
  } catch (err) {
    if (err instanceof ValidationError) return err.rule;
    throw err;
  }
  return 'accepted';
}

describe('validateDelta in a relay', () => {
  it('accepts ordinary deltas, including ones carrying dots of others that it has seen', () => {
    const relay = new Relay(AWSet);
    const alice = new Client(AWSet, ALICE);
    const bob = new Client(AWSet, BOB);
    relay.accept(
      BOB,
      bob.do((s, c) => AWSet.add(s, c, 'milk')),
    );
    alice.pull(relay.state);
    // Alice removes Bob's element: her context names Bob's dot, which the relay has seen.
    expect(
      ruleOf(() =>
        relay.accept(
          ALICE,
          alice.do((s, c) => AWSet.remove(s, c, 'milk')),
        ),
      ),
    ).toBe('accepted');
    relay.accept(
      ALICE,
      alice.do((s, c) => AWSet.add(s, c, 'eggs')),
    );
    // Re-uploading her whole state (Bob's dots included) is also fine: nothing is new but hers.
    relay.accept(ALICE, AWSet.encode(alice.state));
    expect(AWSet.value(relay.state)).toEqual(new Set(['eggs']));
    bob.pull(relay.state);
    expect(AWSet.equals(bob.state, relay.state)).toBe(true);
  });

  it('foreign-dot: a client minting dots for a replica it is not bound to', () => {
    const relay = new Relay(AWSet);
    const bob = new Client(AWSet, BOB);
    relay.accept(
      BOB,
      bob.do((s, c) => AWSet.add(s, c, 'milk')),
    );
    const mallory = new Client(AWSet, MALLORY);
    mallory.pull(relay.state);
    // Mallory writes as Bob, with Bob's next dot.
    const forged = mallory.do((s) => AWSet.add(s, { replica: BOB }, 'poison'));
    expect(ruleOf(() => relay.accept(MALLORY, forged))).toBe('foreign-dot');
    // The same write from Bob's own connection is fine.
    expect(ruleOf(() => relay.accept(BOB, forged))).toBe('accepted');
    // A brand-new replica id the relay never heard of is foreign too.
    const fresh = AWSet.encode(AWSet.add(AWSet.empty(), { replica: 'ffffffffffffff' }, 'x'));
    expect(ruleOf(() => relay.accept(MALLORY, fresh))).toBe('foreign-dot');
  });

  it('unknown-context: a delta that has seen events of another replica the relay has not', () => {
    const relay = new Relay(AWSet);
    const alice = new Client(AWSet, ALICE);
    const bob = new Client(AWSet, BOB);
    // Bob's write reaches Alice peer-to-peer, never the relay.
    bob.do((s, c) => AWSet.add(s, c, 'milk'));
    alice.pull(bob.state);
    const removal = alice.do((s, c) => AWSet.remove(s, c, 'milk'));
    expect(ruleOf(() => relay.accept(ALICE, removal))).toBe('unknown-context');
    // Once the relay has Bob's write, the same removal is acceptable.
    relay.accept(BOB, AWSet.encode(bob.state));
    expect(ruleOf(() => relay.accept(ALICE, removal))).toBe('accepted');
    expect(AWSet.value(relay.state).size).toBe(0);
  });

  it('unknown-context: a context claiming future events of another replica', () => {
    const relay = new Relay(PNCounter);
    const bob = new Client(PNCounter, BOB);
    relay.accept(
      BOB,
      bob.do((s, c) => PNCounter.increment(s, c)),
    );
    const alice = new Client(PNCounter, ALICE);
    alice.pull(relay.state);
    // Claiming Bob's events 2..1000 would make the relay drop Bob's next 999 writes.
    const delta = PNCounter.increment(alice.state, alice);
    delta.context.addRange(BOB, 2, 1000);
    expect(ruleOf(() => relay.accept(ALICE, PNCounter.encode(delta)))).toBe('unknown-context');
  });

  it('counter-decrease: an entry going down', () => {
    for (const T of [GCounter, PNCounter]) {
      const relay = new Relay(T);
      const alice = new Client(T, ALICE);
      const first = alice.do((s, c) => T.increment(s, c, 1));
      relay.accept(ALICE, first);
      relay.accept(
        ALICE,
        alice.do((s, c) => T.increment(s, c, 5)),
      );
      // A new entry of Alice whose total is lower than the one the relay holds: 6 -> 1.
      const seq = alice.state.context.max(ALICE) + 1;
      const lower = T.empty();
      lower.store = [{ replica: ALICE, seq, value: { p: 1, n: 0 } }];
      lower.context.addRange(ALICE, seq - 1, seq);
      expect(
        ruleOf(() => relay.accept(ALICE, T.encode(lower))),
        T.name,
      ).toBe('counter-decrease');
      // Replaying an old delta (a retransmission) is a no-op, not a decrease: its dot is seen.
      expect(
        ruleOf(() => relay.accept(ALICE, first)),
        T.name,
      ).toBe('accepted');
      expect(T.value(relay.state), T.name).toBe(6);
    }
    // Decrements only grow too: n may not go down.
    const relay = new Relay(PNCounter);
    const alice = new Client(PNCounter, ALICE);
    relay.accept(
      ALICE,
      alice.do((s, c) => PNCounter.decrement(s, c, 4)),
    );
    const seq = alice.state.context.max(ALICE) + 1;
    const forged: CrdtState<typeof alice.state.store> = PNCounter.empty();
    forged.store = [{ replica: ALICE, seq, value: { p: 0, n: 1 } }];
    forged.context.addRange(ALICE, 1, seq);
    expect(ruleOf(() => relay.accept(ALICE, PNCounter.encode(forged)))).toBe('counter-decrease');
    expect(PNCounter.value(relay.state)).toBe(-4);
  });

  it('counter-increment: a step over maxCounterStep, also inside an OR-Map', () => {
    const relay = new Relay(PNCounter);
    const alice = new Client(PNCounter, ALICE);
    const step = { maxCounterStep: 100 };
    expect(
      ruleOf(() =>
        relay.accept(
          ALICE,
          alice.do((s, c) => PNCounter.increment(s, c, 100)),
          step,
        ),
      ),
    ).toBe('accepted');
    expect(
      ruleOf(() =>
        relay.accept(
          ALICE,
          alice.do((s, c) => PNCounter.increment(s, c, 101)),
          step,
        ),
      ),
    ).toBe('counter-increment');
    const dec = new Client(PNCounter, BOB);
    expect(
      ruleOf(() =>
        relay.accept(
          BOB,
          dec.do((s, c) => PNCounter.decrement(s, c, 101)),
          step,
        ),
      ),
    ).toBe('counter-increment');
    // The default step is 2^32.
    const big = new Relay(GCounter);
    const g = new Client(GCounter, ALICE);
    expect(
      ruleOf(() =>
        big.accept(
          ALICE,
          g.do((s, c) => GCounter.increment(s, c, 2 ** 32)),
        ),
      ),
    ).toBe('accepted');
    expect(
      ruleOf(() =>
        big.accept(
          ALICE,
          g.do((s, c) => GCounter.increment(s, c, 2 ** 32 + 1)),
        ),
      ),
    ).toBe('counter-increment');

    const Cart = orMap(PNCounter);
    const shop = new Relay(Cart);
    const buyer = new Client(Cart, ALICE);
    const add = (n: number) =>
      buyer.do((s, c) => Cart.update(s, 'sku-1', (line) => PNCounter.increment(line, c, n)));
    expect(ruleOf(() => shop.accept(ALICE, add(3), step))).toBe('accepted');
    expect(ruleOf(() => shop.accept(ALICE, add(100), step))).toBe('accepted');
    expect(ruleOf(() => shop.accept(ALICE, add(1000), step))).toBe('counter-increment');
    expect(Cart.value(shop.state).get('sku-1')).toBe(103);
  });

  it('clock-drift: LWW writes stamped too far in the future', () => {
    const drift = { maxDriftMs: 60_000 };
    const Prefs = orMap(LWWRegister);
    const driftCase =
      <S>(type: CrdtType<S, unknown>, write: (s: CrdtState<S>, c: Client<S>) => CrdtState<S>) =>
      (skew: number): ValidationRule | 'accepted' => {
        const relay = new Relay(type);
        const client = new Client(type, ALICE, skew);
        return ruleOf(() => relay.accept(ALICE, client.do(write), drift));
      };
    const cases: [string, (skew: number) => ValidationRule | 'accepted'][] = [
      ['lww-register', driftCase(LWWRegister, (s, c) => LWWRegister.set(s, c.clock, 'dark'))],
      ['lww-map', driftCase(LWWMap, (s, c) => LWWMap.set(s, c.clock, 'theme', 'dark'))],
      [
        'or-map<lww-register>',
        driftCase(Prefs, (s, c) =>
          Prefs.update(s, 'theme', (r) => LWWRegister.set(r, c.clock, 'dark')),
        ),
      ],
    ];
    for (const [name, at] of cases) {
      expect(at(0), name).toBe('accepted');
      expect(at(-3_600_000), name).toBe('accepted');
      expect(at(60_000), name).toBe('accepted');
      expect(at(60_001), name).toBe('clock-drift');
      expect(at(10 * 60_000), name).toBe('clock-drift');
    }
    // The default bound is one minute too.
    const relay = new Relay(LWWRegister);
    const client = new Client(LWWRegister, ALICE, 120_000);
    expect(
      ruleOf(() =>
        relay.accept(
          ALICE,
          client.do((s, c) => LWWRegister.set(s, c.clock, 1)),
          {},
        ),
      ),
    ).toBe('clock-drift');
  });

  it('type-mismatch: decodeDeltaOf refuses deltas of another type, DecodeError for garbage', () => {
    const counterBytes = PNCounter.encode(
      PNCounter.increment(PNCounter.empty(), { replica: ALICE }),
    );
    const err = (() => {
      try {
        decodeDeltaOf(AWSet, counterBytes);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).rule).toBe('type-mismatch');
    expect((err as ValidationError).message).toContain('pn-counter');
    // Same OR-Map type id, different value type: still a mismatch.
    const tags = orMap(AWSet);
    const cart = orMap(PNCounter);
    const tagBytes = tags.encode(
      tags.update(tags.empty(), 'k', (s) => AWSet.add(s, { replica: ALICE }, 1)),
    );
    expect(ruleOf(() => decodeDeltaOf(cart, tagBytes))).toBe('type-mismatch');
    expect(ruleOf(() => decodeDeltaOf(GCounter, counterBytes))).toBe('type-mismatch');
    expect(ruleOf(() => decodeDeltaOf(tags, tagBytes))).toBe('accepted');
    // Malformed bytes are a decoding problem, not a type mismatch.
    expect(() => decodeDeltaOf(AWSet, new Uint8Array([0x47, 0xff]))).toThrow(DecodeError);
    expect(() => decodeDeltaOf(AWSet, new Uint8Array([]))).toThrow(DecodeError);
  });

  it('decodeDeltaOf refuses a snapshot (format 2): pushed bytes are stored and forwarded as sent', () => {
    const clock = { replica: ALICE, now: () => ({ wall: 5, counter: 0, replica: ALICE }) };
    const delta = LWWMap.set(LWWMap.empty(), clock, 'k', 1);
    expect(ruleOf(() => decodeDeltaOf(LWWMap, LWWMap.encode(delta)))).toBe('accepted');
    const snapshot = LWWMap.encodeSnapshot(delta);
    expect(LWWMap.equals(LWWMap.decode(snapshot), delta)).toBe(true);
    expect(() => decodeDeltaOf(LWWMap, snapshot)).toThrow(
      expect.objectContaining({ code: 'bad-version' }),
    );
  });

  it('checks rules in a relay session without ever changing the relay state', () => {
    const relay = new Relay(orMap(PNCounter));
    const Cart = orMap(PNCounter);
    const alice = new Client(Cart, ALICE);
    const bob = new Client(Cart, BOB);
    relay.accept(
      ALICE,
      alice.do((s, c) => Cart.update(s, 'x', (l) => PNCounter.increment(l, c))),
    );
    bob.pull(relay.state);
    const outcomes = [
      ruleOf(() =>
        relay.accept(
          BOB,
          alice.do((s, c) => Cart.update(s, 'y', (l) => PNCounter.increment(l, c))),
        ),
      ),
      ruleOf(() =>
        relay.accept(
          BOB,
          bob.do((s, c) => Cart.update(s, 'x', (l) => PNCounter.increment(l, c, 9))),
          { maxCounterStep: 5 },
        ),
      ),
      ruleOf(() =>
        relay.accept(
          BOB,
          bob.do((s, c) => Cart.remove(s, c, 'x')),
        ),
      ),
    ];
    expect(outcomes).toEqual(['foreign-dot', 'counter-increment', 'accepted']);
    // `accept` asserted after every attempt that the state was untouched by validation.
    expect(Cart.value(relay.state).size).toBe(0);
  });
});

/** A delta built by hand, as a hostile client would: any context, any entries. */
function forge<S>(type: CrdtType<S, unknown>, store: S, dots: [ReplicaId, number][]): Uint8Array {
  const state = type.empty();
  state.store = store;
  for (const [replica, seq] of dots) state.context.add(replica, seq);
  return type.encode(state);
}

describe('validateDelta against a hostile writer', () => {
  it('no-replica: a connection bound to no replica id writes nothing', () => {
    const relay = new Relay(GCounter);
    const bytes = forge(GCounter, [], [[MALLORY, 1]]);
    expect(ruleOf(() => relay.accept(MALLORY, bytes, { replicas: new Set() }))).toBe('no-replica');
  });

  it("foreign-removal: a context covering another replica's counter entry, with or without an own entry", () => {
    for (const T of [GCounter, PNCounter]) {
      const relay = new Relay(T);
      const bob = new Client(T, BOB);
      relay.accept(
        BOB,
        bob.do((s, c) => T.increment(s, c, 100)),
      );
      const erase = forge(
        T,
        [{ replica: MALLORY, seq: 1, value: { p: 1, n: 0 } }],
        [
          [BOB, 1],
          [MALLORY, 1],
        ],
      );
      const contextOnly = forge(
        T,
        [],
        [
          [BOB, 1],
          [MALLORY, 1],
        ],
      );
      expect(
        ruleOf(() => relay.accept(MALLORY, erase)),
        T.name,
      ).toBe('foreign-removal');
      expect(
        ruleOf(() => relay.accept(MALLORY, contextOnly)),
        T.name,
      ).toBe('foreign-removal');
      expect(T.value(relay.state), T.name).toBe(100);
    }
  });

  it('counter-decrease: an own entry dropped in one delta so that the next can re-add it lower', () => {
    const relay = new Relay(GCounter);
    const alice = new Client(GCounter, ALICE);
    relay.accept(
      ALICE,
      alice.do((s, c) => GCounter.increment(s, c, 150)),
    );
    const drop = forge(
      GCounter,
      [],
      [
        [ALICE, 1],
        [ALICE, 2],
      ],
    );
    expect(ruleOf(() => relay.accept(ALICE, drop))).toBe('counter-decrease');
    const lower = forge(
      GCounter,
      [{ replica: ALICE, seq: 2, value: { p: 1, n: 0 } }],
      [
        [ALICE, 1],
        [ALICE, 2],
      ],
    );
    expect(ruleOf(() => relay.accept(ALICE, lower))).toBe('counter-decrease');
    expect(GCounter.value(relay.state)).toBe(150);
  });

  it('register-write: a register changes only by one new write', () => {
    const relay = new Relay(LWWRegister);
    const bob = new Client(LWWRegister, BOB);
    relay.accept(
      BOB,
      bob.do((s, c) => LWWRegister.set(s, c.clock, 'hello')),
    );
    const clear = forge(
      LWWRegister,
      [],
      [
        [BOB, 1],
        [MALLORY, 1],
      ],
    );
    expect(ruleOf(() => relay.accept(MALLORY, clear))).toBe('register-write');
    const entry = (seq: number, value: string) => ({
      replica: MALLORY,
      seq,
      value: { wall: NOW, counter: 0, value },
    });
    const twoWrites = forge(
      LWWRegister,
      [entry(1, 'a'), entry(2, 'b')],
      [
        [MALLORY, 1],
        [MALLORY, 2],
      ],
    );
    expect(ruleOf(() => relay.accept(MALLORY, twoWrites))).toBe('register-write');
    expect(LWWRegister.value(relay.state)).toBe('hello');
    // The same rule holds per key of an LWW-Map; a key the delta leaves out may be removed.
    const map = new Relay(LWWMap);
    const alice = new Client(LWWMap, ALICE);
    map.accept(
      ALICE,
      alice.do((s, c) => LWWMap.set(s, c.clock, 'k', 1)),
    );
    const mallory = new Client(LWWMap, MALLORY);
    mallory.pull(map.state);
    const doubled = mallory.do((s, c) => LWWMap.set(s, c.clock, 'j', 'x'));
    const decoded = LWWMap.decode(doubled);
    decoded.store.entries.get('j')!.push(entry(9, 'y'));
    decoded.context.add(MALLORY, 9);
    expect(ruleOf(() => map.accept(MALLORY, LWWMap.encode(decoded)))).toBe('register-write');
    expect(
      ruleOf(() =>
        map.accept(
          MALLORY,
          mallory.do((s, c) => LWWMap.remove(s, c, 'k')),
        ),
      ),
    ).toBe('accepted');
  });

  it("OR-Map: removing another's cart line is allowed; rewriting their quantity in a kept line is not", () => {
    const Cart = orMap(PNCounter);
    const relay = new Relay(Cart);
    const bob = new Client(Cart, BOB);
    const alice = new Client(Cart, ALICE);
    relay.accept(
      BOB,
      bob.do((s, c) => Cart.update(s, 'sku', (l) => PNCounter.increment(l, c, 5))),
    );
    alice.pull(relay.state);
    // Alice keeps the line with her own quantity, and her context covers Bob's entry.
    const rewrite = Cart.update(alice.state, 'sku', (line) => {
      const mine = PNCounter.increment(line, alice, 1);
      mine.context.add(BOB, 1);
      return mine;
    });
    expect(ruleOf(() => relay.accept(ALICE, Cart.encode(rewrite)))).toBe('foreign-removal');
    expect(Cart.value(relay.state).get('sku')).toBe(5);
    // The same one level deeper.
    const Nested = orMap(orMap(GCounter));
    const deep = new Relay(Nested);
    const bob2 = new Client(Nested, BOB);
    deep.accept(
      BOB,
      bob2.do((s, c) =>
        Nested.update(s, 'cart', (m) =>
          orMap(GCounter).update(m, 'sku', (l) => GCounter.increment(l, c, 3)),
        ),
      ),
    );
    const alice2 = new Client(Nested, ALICE);
    alice2.pull(deep.state);
    const deepRewrite = Nested.update(alice2.state, 'cart', (m) =>
      orMap(GCounter).update(m, 'sku', (l) => {
        const mine = GCounter.increment(l, alice2, 1);
        mine.context.add(BOB, 1);
        return mine;
      }),
    );
    expect(ruleOf(() => deep.accept(ALICE, Nested.encode(deepRewrite)))).toBe('foreign-removal');
    // Removing the line is the map's semantics.
    expect(
      ruleOf(() =>
        relay.accept(
          ALICE,
          alice.do((s, c) => Cart.remove(s, c, 'sku')),
        ),
      ),
    ).toBe('accepted');
    expect(Cart.value(relay.state).has('sku')).toBe(false);
  });

  it('dot-conflict: a known live dot with other content; a superseded one is a harmless replay', () => {
    const relay = new Relay(LWWRegister);
    const alice = new Client(LWWRegister, ALICE);
    relay.accept(
      ALICE,
      alice.do((s, c) => LWWRegister.set(s, c.clock, 'first')),
    );
    const rewritten = forge(
      LWWRegister,
      [{ replica: ALICE, seq: 1, value: { wall: NOW, counter: 0, value: 'forged' } }],
      [[ALICE, 1]],
    );
    expect(ruleOf(() => relay.accept(ALICE, rewritten))).toBe('dot-conflict');
    // Another user re-sending Alice's dot is a forgery before anything else.
    expect(ruleOf(() => relay.accept(MALLORY, rewritten))).toBe('foreign-dot');
    // Once superseded, the dot's content no longer matters: merging it changes nothing.
    relay.accept(
      ALICE,
      alice.do((s, c) => LWWRegister.set(s, c.clock, 'second')),
    );
    expect(ruleOf(() => relay.accept(ALICE, rewritten))).toBe('accepted');
    expect(LWWRegister.value(relay.state)).toBe('second');
    // Under another key of a map, the same dot is a conflict too.
    const map = new Relay(AWSet);
    const a = new Client(AWSet, ALICE);
    map.accept(
      ALICE,
      a.do((s, c) => AWSet.add(s, c, 'x')),
    );
    const moved = AWSet.add(AWSet.empty(), { replica: ALICE }, 'y');
    expect(ruleOf(() => map.accept(ALICE, AWSet.encode(moved)))).toBe('dot-conflict');
    // Under the same key, with other content: the nested store's entry differs.
    const lww = new Relay(LWWMap);
    const c = new Client(LWWMap, ALICE);
    const first = c.do((st, cl) => LWWMap.set(st, cl.clock, 'k', 'first'));
    lww.accept(ALICE, first);
    const same = LWWMap.decode(first);
    for (const entries of same.store.entries.values()) {
      const [entry] = entries;
      entries[0] = { ...entry!, value: { ...entry!.value, value: 'forged' } };
    }
    expect(ruleOf(() => lww.accept(ALICE, LWWMap.encode(same)))).toBe('dot-conflict');
    expect(ruleOf(() => lww.accept(ALICE, first))).toBe('accepted'); // the same content: a replay
  });

  it('a write delivered after the newer write that covered its dot still brings its removals', () => {
    const run = <S>(relay: Relay<S>, deltas: Uint8Array[]) =>
      deltas.map((d) => relay.accept(ALICE, d));
    // Alice writes a, b (replacing a), c (replacing b); the relay gets a, c, then b late.
    const mv = new Relay(MVRegister);
    const alice = new Client(MVRegister, ALICE);
    const [a, b, c] = ['a', 'b', 'c'].map((v) => alice.do((s, me) => MVRegister.set(s, me, v)));
    expect(run(mv, [a!, c!, b!])).toEqual(['write', 'write', 'write']);
    expect(MVRegister.value(mv.state)).toEqual(['c']);
    // Once everything is in, the same bytes again are replays.
    expect(run(mv, [a!, b!, c!])).toEqual(['replay', 'replay', 'replay']);
    // The same for a counter: the late delta removes the entry it replaced.
    const counter = new Relay(GCounter);
    const clicks = new Client(GCounter, ALICE);
    const [one, two, three] = [1, 2, 3].map(() => clicks.do((s, me) => GCounter.increment(s, me)));
    expect(run(counter, [one!, three!, two!])).toEqual(['write', 'write', 'write']);
    expect(GCounter.value(counter.state)).toBe(3);
    expect(counter.state.store).toHaveLength(1);
  });

  it('a cart line write delivered again after a removal took it (but not the entry it replaced)', () => {
    const Cart = orMap(PNCounter);
    const relay = new Relay(Cart);
    const alice = new Client(Cart, ALICE);
    const bob = new Client(Cart, BOB);
    const first = alice.do((s, me) => Cart.update(s, 'sku', (l) => PNCounter.increment(l, me, 3)));
    relay.accept(ALICE, first);
    // Alice's next increment replaces her first entry. Another region has it; this relay not yet.
    const second = alice.do((s, me) => Cart.update(s, 'sku', (l) => PNCounter.increment(l, me, 1)));
    bob.pull(alice.state);
    // Bob, in that region, removes the line as he saw it (Alice's second entry only); the relay
    // merges his removal first, from its peer.
    const removal = bob.do((s, me) => Cart.remove(s, me, 'sku'));
    Cart.merge(relay.state, decodeDeltaOf(Cart, removal));
    // Alice's outbox sends her second write again: its dot is known, the entry it replaced is
    // still here. It is admitted and takes that entry, as it did where it was first merged.
    expect(ruleOf(() => relay.accept(ALICE, second))).toBe('accepted');
    expect(Cart.value(relay.state).get('sku')).toBeUndefined();
  });

  it('counter-decrease: a top-level counter entry is not dropped by a "known" write that was never held', () => {
    // The writer first claims a dot it never sends (a context is the writer's to fill), then
    // sends an entry with that dot as if delivered again, removing its held entry. Outside a
    // map there is no removal that could have taken the newer write, so it proves nothing.
    const relay = new Relay(PNCounter);
    const held = [{ replica: ALICE, seq: 1, value: { p: 40, n: 2 } }];
    relay.accept(ALICE, forge(PNCounter, held, [[ALICE, 1]]));
    const claim = forge(PNCounter, held, [
      [ALICE, 1],
      [ALICE, 2],
    ]);
    expect(ruleOf(() => relay.accept(ALICE, claim))).toBe('accepted');
    const drop = forge(
      PNCounter,
      [{ replica: ALICE, seq: 2, value: { p: 0, n: 0 } }],
      [
        [ALICE, 1],
        [ALICE, 2],
      ],
    );
    expect(ruleOf(() => relay.accept(ALICE, drop))).toBe('counter-decrease');
    expect(PNCounter.value(relay.state)).toBe(38);
  });

  it('register-write: a known write delivered again may not clear a register', () => {
    const relay = new Relay(LWWRegister);
    const mallory = new Client(LWWRegister, MALLORY);
    const bob = new Client(LWWRegister, BOB);
    const old = mallory.do((s, c) => LWWRegister.set(s, c.clock, 'old'));
    relay.accept(MALLORY, old);
    bob.pull(relay.state);
    relay.accept(
      BOB,
      bob.do((s, c) => LWWRegister.set(s, c.clock, 'bob')),
    );
    // Mallory's superseded write, its context widened to cover Bob's.
    const widened = LWWRegister.decode(old);
    widened.context.add(BOB, 1);
    expect(ruleOf(() => relay.accept(MALLORY, LWWRegister.encode(widened)))).toBe('register-write');
    expect(LWWRegister.value(relay.state)).toBe('bob');
  });

  it('unattributed: a delta with no dot of its writer', () => {
    const relay = new Relay(AWSet);
    const bob = new Client(AWSet, BOB);
    relay.accept(
      BOB,
      bob.do((s, c) => AWSet.add(s, c, 'b')),
    );
    // Bob's element removed by a context that names Bob's dot alone.
    const anonymous = forge(AWSet, AWSet.empty().store, [[BOB, 1]]);
    expect(ruleOf(() => relay.accept(MALLORY, anonymous))).toBe('unattributed');
    expect(AWSet.value(relay.state)).toEqual(new Set(['b']));
  });
});
