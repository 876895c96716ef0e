import { baseSeed, createRng, type Rng } from '@helios/test-kit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ReplicaId } from '../causal/replica-id.js';
import type { Timestamp } from '../clock/timestamp.js';
import { PNCounter } from '../crdt/counter.js';
import type { CrdtState, CrdtType } from '../crdt/crdt-type.js';
import type { ClockedActor } from '../crdt/lww.js';
import { LWWMap, type LWWMapState } from '../crdt/lww-map.js';
import { LWWRegister } from '../crdt/lww-register.js';
import { orMap } from '../crdt/or-map.js';
import { type AnyCrdtType, decodeState, typeOfEncoded } from '../crdt/registry.js';
import { AWSet, RWSet } from '../crdt/sets.js';
import { DecodeError, ValidationError } from '../errors.js';
import { typeCases } from '../test-support/arbitraries.js';
import { CrdtSim } from '../test-support/crdt-sim.js';
import { decodeDeltaOf } from '../validation/validate-delta.js';
import { ByteWriter } from './byte-writer.js';
import { checksum32 } from './checksum.js';
import { DEFAULT_DECODE_LIMITS, type DecodeLimits } from './limits.js';
import type { Key, Value } from './value.js';

/**
 * Decoder fuzzing. Untrusted bytes reach `decodeState` on every relay, so for any input the
 * decoder must return or throw `DecodeError` (nothing else, never hang), and whatever it returns
 * must be a state the rest of the core can trust: every stored dot in the context, no dot twice,
 * a stable re-encoding, and merges that do not throw.
 *
 * HELIOS_FUZZ_RUNS sets the number of inputs (default 100,000); HELIOS_SEED replays a run.
 */
const RUNS = Number(process.env.HELIOS_FUZZ_RUNS ?? 100_000);
const SEED = baseSeed();
const SMALL: DecodeLimits = { maxBytes: 2048, maxDepth: 8, maxElements: 600 };

type AnyState = CrdtState<unknown>;
type Mutator = (state: AnyState, actor: ClockedActor, rng: Rng) => AnyState;

const KEYS: readonly Key[] = ['a', 'b', 'ç', 7, -1, 2.5];
const VALUES: readonly Value[] = [
  null,
  true,
  -3,
  1.25,
  2 ** 50,
  'v',
  'ünïcode ✓',
  new Uint8Array([1, 2, 3]),
  [1, [2, [3]]],
  { a: { b: null }, c: [] },
];

/**
 * Types and random mutators: every type of the shared table (`typeCases`, so a new type is
 * fuzzed once it is there), and OR-Maps nesting the other kinds of store.
 */
function specs(): [AnyCrdtType, Mutator][] {
  const pairs: [CrdtType<never, unknown>, Mutator][] = [];
  const spec = <S, V>(
    type: CrdtType<S, V>,
    m: (s: CrdtState<S>, a: ClockedActor, rng: Rng) => CrdtState<S>,
  ) => pairs.push([type as unknown as CrdtType<never, unknown>, m as unknown as Mutator]);
  const key = (rng: Rng) => rng.pick(KEYS);
  const value = (rng: Rng) => rng.pick(VALUES);
  for (const c of typeCases) {
    spec(c.type, (s, a, rng) =>
      c.mutate(s, a, fc.sample(c.op, { numRuns: 1, seed: rng.int(2 ** 31) })[0]),
    );
  }
  const Cart = orMap(PNCounter);
  const Nested = orMap(Cart);
  spec(orMap(LWWRegister), (s, a, rng) =>
    orMap(LWWRegister).update(s, key(rng), (r) => LWWRegister.set(r, a, value(rng))),
  );
  spec(orMap(RWSet), (s, a, rng) =>
    orMap(RWSet).update(s, key(rng), (r) =>
      rng.chance(0.5) ? RWSet.add(r, a, key(rng)) : RWSet.remove(r, a, key(rng)),
    ),
  );
  spec(Nested, (s, a, rng) =>
    Nested.update(s, key(rng), (m) => Cart.update(m, key(rng), (c) => PNCounter.increment(c, a))),
  );
  return pairs;
}

interface Seed {
  readonly type: AnyCrdtType;
  readonly bytes: Uint8Array;
  readonly state: AnyState;
}

/**
 * Valid encodings: replica states with dot clouds (deltas were lost and not repaired), single
 * deltas, anti-entropy deltas and digests, with compact and with arbitrary string replica ids.
 */
function buildCorpus(rng: Rng): Seed[] {
  const out: Seed[] = [];
  const add = (type: AnyCrdtType, state: AnyState): void => {
    const bytes = type.encode(state);
    if (bytes.length <= SMALL.maxBytes) out.push({ type, bytes, state });
    // Full states also as snapshots (format version 2) where the type has a columnar form.
    const snapshot = type.encodeSnapshot(state);
    if (type.snapshotCodec !== undefined && snapshot.length <= SMALL.maxBytes) {
      out.push({ type, bytes: snapshot, state });
    }
  };
  const idSets: (readonly ReplicaId[] | undefined)[] = [
    undefined,
    ['alice', 'bob-the-second', '0123456789abcd'],
    ['ζ', 'x'.repeat(64), 'replica with spaces'],
  ];
  for (const [type, mutate] of specs()) {
    for (const ids of idSets) {
      const sim = new CrdtSim({
        type,
        nodes: 3,
        seed: rng.int(2 ** 32),
        dropRate: 0.4,
        ...(ids === undefined ? {} : { replicaIds: ids }),
      });
      let wall = 1_700_000_000_000;
      const actors = sim.replicas.map(
        (r): ClockedActor => ({
          replica: r.replica,
          now: (): Timestamp => {
            wall += rng.int(2);
            return { wall, counter: rng.int(3), replica: r.replica };
          },
        }),
      );
      for (let k = 0; k < 20; k++) {
        const i = rng.int(3);
        const delta = sim.mutate(i, (s) => mutate(s, actors[i]!, rng));
        if (rng.chance(0.3)) add(type, delta);
        sim.deliver(rng.int(3));
      }
      for (const r of sim.replicas) add(type, r.state);
      const [a, b] = [sim.replicas[0]!.state, sim.replicas[1]!.state];
      add(type, type.deltaSince(a, type.digest(b)));
      add(type, { context: type.digest(a).live, store: type.kind.empty() });
      add(type, type.empty());
    }
  }
  return out;
}

/** Varints a hostile encoder might send: too long, too big, non-canonical, at the edges. */
const EXTREME_VARINTS: readonly Uint8Array[] = [
  [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f],
  [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
  [0x80, 0x00],
  [0xff, 0x80, 0x80, 0x00],
  [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f], // 2^53 - 1
  [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40], // 2^48
  [0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40], // 2^48 + 1
  [0xff, 0xff, 0xff, 0xff, 0x0f],
  [0x00],
  [0x7f],
].map((b) => new Uint8Array(b));

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function mutateOnce(input: Uint8Array, corpus: readonly Seed[], rng: Rng): Uint8Array {
  const b = input.slice();
  const at = rng.int(b.length + 1);
  switch (rng.int(9)) {
    case 0: {
      if (b.length === 0) return rng.bytes(rng.range(1, 8));
      for (let k = rng.range(1, 3); k > 0; k--) {
        const i = rng.int(b.length);
        b[i] = b[i]! ^ (1 << rng.int(8));
      }
      return b;
    }
    case 1: {
      if (b.length > 0) b[rng.int(b.length)] = rng.pick([0, 1, 0x7f, 0x80, 0xff, rng.int(256)]);
      return b;
    }
    case 2:
      return b.slice(0, rng.int(b.length + 1));
    case 3:
      return concat(b.subarray(0, at), rng.bytes(rng.range(1, 4)), b.subarray(at));
    case 4: {
      const end = Math.min(b.length, at + rng.range(1, 8));
      return concat(b.subarray(0, at), b.subarray(end));
    }
    case 5: {
      const start = rng.int(b.length + 1);
      const slice = b.subarray(start, Math.min(b.length, start + rng.range(1, 16)));
      return concat(b.subarray(0, at), slice, b.subarray(at));
    }
    case 6:
      return concat(b.subarray(0, at), rng.pick(EXTREME_VARINTS), b.subarray(at));
    case 7: {
      const v = rng.pick(EXTREME_VARINTS);
      const end = Math.min(b.length, at + rng.range(1, 3));
      return concat(b.subarray(0, at), v, b.subarray(end));
    }
    default: {
      const other = rng.pick(corpus).bytes;
      return concat(b.subarray(0, at), other.subarray(rng.int(other.length + 1)));
    }
  }
}

/** Counts how often each outcome happened, to show the fuzzer reached deep into the decoder. */
interface Tally {
  inputs: number;
  decoded: number;
  refused: Map<string, number>;
  slowestMs: number;
}

function describeInput(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

/** The invariants of a decoded state. Throws with an explanation when one is broken. */
function checkDecoded(type: AnyCrdtType, state: AnyState, partner: AnyState | undefined): void {
  // A snapshot decodes lazily: its keys are read one by one before anything materializes.
  if (type === LWWMap) for (const k of KEYS) LWWMap.get(state as LWWMapState, k);
  let dots = 0;
  type.kind.forEachDot(state.store, () => dots++);
  const live = type.liveDots(state);
  if (live.size !== dots) throw new Error(`${dots - live.size} duplicate dots in the store`);
  if (!state.context.includes(live)) {
    throw new Error(`store dots ${live.subtract(state.context)} are outside the context`);
  }
  type.value(state);
  const again = type.encode(state);
  const back = type.decode(again);
  if (!type.equals(back, state)) throw new Error('decode(encode(state)) differs from state');
  if (describeInput(type.encode(back)) !== describeInput(again)) {
    throw new Error('re-encoding is not stable');
  }
  const snapshot = type.encodeSnapshot(state);
  if (!type.equals(type.decode(snapshot), state)) {
    throw new Error('decode(encodeSnapshot(state)) differs from state');
  }
  for (const other of [type.empty(), partner].filter((s) => s !== undefined)) {
    for (const joined of [type.join(other, state), type.join(state, other)]) {
      const joinedLive = type.liveDots(joined);
      if (!joined.context.includes(joinedLive)) throw new Error('a join holds unseen dots');
      type.value(joined);
    }
  }
}

/**
 * A blocked snapshot (of a type without parameters, as the LWW-Map) with its checksum computed
 * again over what follows it.
 */
function resealed(input: Uint8Array): Uint8Array {
  const out = input.slice();
  const sum = checksum32(out.subarray(5));
  for (let i = 0; i < 4; i++) out[1 + i] = (sum >>> (8 * i)) & 0xff;
  return out;
}

describe('decoder fuzz', () => {
  it(`survives ${RUNS} random and mutated inputs`, () => {
    const rng = createRng(SEED);
    const corpus = buildCorpus(rng);
    expect(corpus.length).toBeGreaterThan(100);
    const byName = new Map<string, Seed[]>();
    for (const s of corpus) {
      const list = byName.get(s.type.name) ?? [];
      list.push(s);
      byName.set(s.type.name, list);
      // The seeds themselves are valid: they decode, under the small limits, to what was encoded.
      expect(s.type.equals(s.type.decode(s.bytes, SMALL), s.state), s.type.name).toBe(true);
    }

    const tally: Tally = { inputs: 0, decoded: 0, refused: new Map(), slowestMs: 0 };
    const failures: string[] = [];
    const attempt = (what: string, input: Uint8Array, run: () => void): void => {
      const t0 = performance.now();
      try {
        run();
      } catch (err) {
        if (err instanceof DecodeError) {
          tally.refused.set(err.code, (tally.refused.get(err.code) ?? 0) + 1);
        } else if (failures.length < 5) {
          const why = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
          failures.push(`${what} on ${describeInput(input)} (HELIOS_SEED=${SEED}): ${why}`);
        } else {
          failures.push('');
        }
      }
      tally.slowestMs = Math.max(tally.slowestMs, performance.now() - t0);
    };

    for (let i = 0; i < RUNS; i++) {
      const seed = rng.pick(corpus);
      let input: Uint8Array;
      const roll = rng.next();
      if (roll < 0.1) {
        input = rng.bytes(rng.int(48));
      } else if (roll < 0.2) {
        // Random bodies behind a well-formed header, so the fuzzer gets past the first byte.
        input = concat(
          new Uint8Array([
            rng.chance(0.25)
              ? 0x80 | rng.range(1, 9) | (rng.chance(0.5) ? 0x20 : 0) // a snapshot's header
              : 0x40 | rng.range(1, 9) | (rng.chance(0.5) ? 0x20 : 0),
          ]),
          rng.bytes(rng.int(40)),
        );
      } else {
        input = seed.bytes;
        for (let k = rng.range(1, 3); k > 0; k--) input = mutateOnce(input, corpus, rng);
        // A blocked snapshot refuses a changed byte by its checksum: sealed again, half of the
        // mutants get past it into the index and the blocks.
        if ((input[0]! & 0xe0) === 0xa0 && input.length > 5 && rng.chance(0.5)) {
          input = resealed(input);
        }
      }
      tally.inputs++;
      attempt('decodeState', input, () => {
        const { type, state } = decodeState(input, SMALL);
        tally.decoded++;
        const partners = byName.get(type.name);
        checkDecoded(type, state, partners && rng.pick(partners).state);
      });
      attempt(`${seed.type.name}.decode`, input, () => {
        const state = seed.type.decode(input, SMALL);
        checkDecoded(seed.type, state, seed.state);
      });
      attempt('typeOfEncoded', input, () => typeOfEncoded(input, SMALL));
      attempt('decodeDeltaOf', input, () => {
        try {
          decodeDeltaOf(seed.type, input, SMALL);
        } catch (err) {
          if (err instanceof ValidationError && err.rule === 'type-mismatch') return;
          throw err;
        }
      });
    }

    const refused = [...tally.refused].sort((a, b) => b[1] - a[1]).map(([c, n]) => `${c} ${n}`);
    console.log(
      `decoder fuzz: ${tally.inputs} inputs (${corpus.length} seeds, seed ${SEED}), ` +
        `${tally.decoded} decoded as valid states, refused: ${refused.join(', ')}; ` +
        `slowest call ${tally.slowestMs.toFixed(1)} ms`,
    );
    expect(failures.length, failures[0]).toBe(0);
    if (RUNS >= 10_000) {
      // Mutations must reach past the header and into the invariant checks.
      expect(tally.decoded).toBeGreaterThan(RUNS / 100);
      expect(tally.refused.get('invariant') ?? 0).toBeGreaterThan(0);
    }
    expect(tally.slowestMs).toBeLessThan(1000);
  });
});

describe('decoder caps', () => {
  const register = (value: Value): Uint8Array => {
    const clock: ClockedActor = {
      replica: 'abcdefabcdef01',
      now: () => ({ wall: 5, counter: 0, replica: 'abcdefabcdef01' }),
    };
    return LWWRegister.encode(LWWRegister.set(LWWRegister.empty(), clock, value));
  };
  /** A register holding `null`, with the value's byte (the last one) replaced by `tail`. */
  const registerWithValueBytes = (tail: Uint8Array): Uint8Array => {
    const base = register(null);
    expect(base[base.length - 1]).toBe(0); // the null tag
    return concat(base.subarray(0, base.length - 1), tail);
  };
  const codeOf = (run: () => unknown): string => {
    try {
      run();
    } catch (err) {
      if (err instanceof DecodeError) return err.code;
      throw err;
    }
    return 'decoded';
  };

  it('refuses input above maxBytes before reading it', () => {
    const ok = register('x'.repeat(100));
    const limits = { ...SMALL, maxBytes: ok.length - 1 };
    expect(codeOf(() => decodeState(ok, limits))).toBe('limit-bytes');
    expect(codeOf(() => LWWRegister.decode(ok, limits))).toBe('limit-bytes');
    expect(codeOf(() => typeOfEncoded(ok, limits))).toBe('limit-bytes');
    expect(codeOf(() => LWWRegister.decode(ok, { ...limits, maxBytes: ok.length }))).toBe(
      'decoded',
    );
    const huge = new Uint8Array(DEFAULT_DECODE_LIMITS.maxBytes + 1);
    expect(codeOf(() => decodeState(huge))).toBe('limit-bytes');
  });

  it('refuses deep nesting with limit-depth, without exhausting the stack', () => {
    // 100,000 nested one-element arrays, then objects: recursion must stop at the depth cap.
    const arrays = new Uint8Array(200_001);
    for (let i = 0; i < 200_000; i += 2) arrays.set([8, 1], i);
    expect(codeOf(() => decodeState(registerWithValueBytes(arrays)))).toBe('limit-depth');
    const objects: number[] = [];
    for (let i = 0; i < 50_000; i++) objects.push(9, 1, 1, 0x6b);
    objects.push(0);
    expect(codeOf(() => decodeState(registerWithValueBytes(new Uint8Array(objects))))).toBe(
      'limit-depth',
    );
    // Just inside and just past a small cap.
    const nest = (depth: number): Value => (depth === 0 ? null : [nest(depth - 1)]);
    expect(codeOf(() => LWWRegister.decode(register(nest(SMALL.maxDepth)), SMALL))).toBe('decoded');
    expect(codeOf(() => LWWRegister.decode(register(nest(SMALL.maxDepth + 1)), SMALL))).toBe(
      'limit-depth',
    );
    // OR-Maps of OR-Maps of …: the type descriptor itself nests.
    const types = new Uint8Array(10_002).fill(9);
    types[0] = 0x40 | 9;
    types[types.length - 1] = 2;
    expect(codeOf(() => decodeState(types))).toBe('limit-depth');
    expect(codeOf(() => typeOfEncoded(types))).toBe('limit-depth');
  });

  it('refuses huge announced lengths without allocating for them', () => {
    const varint = (n: number): Uint8Array => {
      const w = new ByteWriter();
      w.uint(n);
      return w.finish();
    };
    const before = process.memoryUsage().heapUsed;
    const t0 = performance.now();
    for (const n of [2 ** 20, 2 ** 31, 2 ** 48, Number.MAX_SAFE_INTEGER]) {
      for (const tag of [6, 7, 8, 9]) {
        // string, bytes, array, object
        const input = registerWithValueBytes(concat(new Uint8Array([tag]), varint(n)));
        expect(['truncated', 'limit-elements']).toContain(codeOf(() => decodeState(input)));
      }
      // A set announcing n elements, a counter announcing n entries.
      const set = AWSet.encode(AWSet.add(AWSet.empty(), { replica: 'abcdefabcdef01' }, 'x'));
      // header, context, then a map of one: the key 'x' (its head 2 × 2 + 1), one dot at
      // offset 0 (0 × 2 + 1).
      expect([...set.subarray(set.length - 3)]).toEqual([5, 0x78, 1]);
      const body = set.subarray(0, set.length - 3);
      // An even size head announces a count: n of them.
      const hugeSet = concat(body, varint(2 * Math.floor(n / 2)), new Uint8Array(8));
      expect(['truncated', 'limit-elements']).toContain(codeOf(() => AWSet.decode(hugeSet)));
    }
    // Lengths that fit the bytes but not the element budget.
    const many = register(Array.from({ length: SMALL.maxElements + 1 }, () => null));
    expect(codeOf(() => LWWRegister.decode(many, { ...SMALL, maxBytes: 1 << 20 }))).toBe(
      'limit-elements',
    );
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(64 * 1024 * 1024);
  });
});
