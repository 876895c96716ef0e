import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CausalContext } from '../causal/causal-context.js';
import { isCompactReplicaId, newReplicaId, type ReplicaId } from '../causal/replica-id.js';
import { GCounter } from '../crdt/counter.js';
import { LWWMap } from '../crdt/lww-map.js';
import { LWWRegister } from '../crdt/lww-register.js';
import { MVRegister } from '../crdt/mv-register.js';
import { AWSet } from '../crdt/sets.js';
import { DecodeError, InvalidArgumentError } from '../errors.js';
import { ByteReader } from './byte-reader.js';
import { ByteWriter } from './byte-writer.js';
import {
  assertKey,
  assertValue,
  type Key,
  readKey,
  readValue,
  type Value,
  valueEquals,
  writeKey,
  writeValue,
} from './value.js';

function written(write: (w: ByteWriter) => void): Uint8Array {
  const w = new ByteWriter(1); // tiny initial capacity: every write exercises growth
  write(w);
  return w.finish();
}

function codeOf(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    if (err instanceof DecodeError) return err.code;
    throw err;
  }
  return 'ok';
}

const bytes = (...b: number[]): Uint8Array => new Uint8Array(b);

describe('ByteWriter / ByteReader', () => {
  it('grows from any initial capacity, 0 included', () => {
    const w = new ByteWriter(0);
    w.string('x'.repeat(100));
    expect(w.length).toBe(101);
  });

  it('round-trips varints at the 7-bit boundaries up to 2^53 - 1', () => {
    const cases: [number, number][] = [
      [0, 1],
      [1, 1],
      [127, 1],
      [128, 2],
      [255, 2],
      [16_383, 2],
      [16_384, 3],
      [2 ** 21 - 1, 3],
      [2 ** 21, 4],
      [2 ** 31, 5],
      [2 ** 32, 5],
      [2 ** 48, 7],
      [2 ** 49 - 1, 7],
      [2 ** 49, 8],
      [Number.MAX_SAFE_INTEGER, 8],
    ];
    for (const [n, length] of cases) {
      const b = written((w) => w.uint(n));
      expect(b.length, `length of ${n}`).toBe(length);
      const r = new ByteReader(b);
      expect(r.uint()).toBe(n);
      r.end();
    }
    expect([...written((w) => w.uint(128))]).toEqual([0x80, 0x01]);
    expect([...written((w) => w.uint(Number.MAX_SAFE_INTEGER))]).toEqual([
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f,
    ]);
  });

  it('round-trips any safe unsigned integer (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.maxSafeNat(), { maxLength: 20 }), (ns) => {
        const r = new ByteReader(
          written((w) => {
            for (const n of ns) w.uint(n);
          }),
        );
        for (const n of ns) expect(r.uint()).toBe(n);
        r.end();
      }),
    );
  });

  it('refuses non-canonical, oversized and truncated varints', () => {
    expect(codeOf(() => new ByteReader(bytes(0x80, 0x00)).uint())).toBe('bad-tag');
    expect(codeOf(() => new ByteReader(bytes(0xff, 0x80, 0x00)).uint())).toBe('bad-tag');
    expect(codeOf(() => new ByteReader(bytes(0x80)).uint())).toBe('truncated');
    expect(codeOf(() => new ByteReader(bytes()).uint())).toBe('truncated');
    // 2^53: one past the safe range.
    expect(
      codeOf(() => new ByteReader(bytes(0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10)).uint()),
    ).toBe('overflow');
    expect(codeOf(() => new ByteReader(new Uint8Array(9).fill(0xff)).uint())).toBe('overflow');
    expect(
      codeOf(() => new ByteReader(bytes(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f)).uint()),
    ).toBe('overflow');
  });

  it('round-trips float64, including -0 and the extremes', () => {
    for (const n of [0, -0, 1.5, -Number.MAX_VALUE, Number.MIN_VALUE, Math.PI, Number.EPSILON]) {
      const r = new ByteReader(written((w) => w.f64(n)));
      expect(Object.is(r.f64(), n)).toBe(true);
    }
    expect(codeOf(() => new ByteReader(bytes(1, 2, 3)).f64())).toBe('truncated');
  });

  it('round-trips strings: empty, ASCII at the fast-path boundary, non-ASCII, astral', () => {
    const cases = [
      '',
      'a',
      'x'.repeat(127),
      'x'.repeat(128),
      'é',
      'naïve café',
      '日本語',
      '🌍👍🏽',
      '\u0000',
    ];
    for (const s of cases) {
      for (const doubled of [false, true]) {
        const b = written((w) => w.string(s, doubled ? 2 : 1));
        const r = new ByteReader(b);
        const n = r.uint();
        expect(n).toBe(new TextEncoder().encode(s).length * (doubled ? 2 : 1));
        expect(r.stringOfLength(doubled ? n / 2 : n)).toBe(s);
        r.end();
      }
    }
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => {
        const r = new ByteReader(written((w) => w.string(s)));
        expect(r.string()).toBe(s);
        r.end();
      }),
    );
  });

  it('refuses malformed UTF-8 and strings longer than the input', () => {
    expect(codeOf(() => new ByteReader(bytes(2, 0xc3, 0x28)).string())).toBe('bad-utf8');
    expect(codeOf(() => new ByteReader(bytes(3, 0xed, 0xa0, 0x80)).string())).toBe('bad-utf8'); // a surrogate
    expect(codeOf(() => new ByteReader(bytes(2, 0xc0, 0x80)).string())).toBe('bad-utf8'); // overlong NUL
    expect(codeOf(() => new ByteReader(bytes(5, 0x61)).string())).toBe('truncated');
  });

  it('charges lengths against the bytes left and the element budget', () => {
    const limits = { maxBytes: 100, maxDepth: 4, maxElements: 3 };
    expect(codeOf(() => new ByteReader(bytes(4, 0, 0, 0, 0), limits).length())).toBe(
      'limit-elements',
    );
    expect(codeOf(() => new ByteReader(bytes(3, 0, 0), limits).length())).toBe('truncated');
    expect(codeOf(() => new ByteReader(bytes(2, 0, 0, 0), limits).length(2))).toBe('truncated');
    expect(codeOf(() => new ByteReader(new Uint8Array(101), limits))).toBe('limit-bytes');
    const r = new ByteReader(bytes(1, 0), limits);
    expect(r.u8()).toBe(1);
    expect(codeOf(() => r.end())).toBe('trailing-bytes');
  });

  it('skips bytes to read in place, refusing to skip past the end', () => {
    const input = bytes(7, 8, 9, 10);
    const r = new ByteReader(input);
    expect(r.u8()).toBe(7);
    expect(r.skip(2)).toBe(1);
    expect(r.input[1]).toBe(8);
    expect(r.u8()).toBe(10);
    expect(codeOf(() => new ByteReader(bytes(1, 2)).skip(3))).toBe('truncated');
    const partial = new ByteReader(bytes(1, 2));
    expect(codeOf(() => partial.skip(3))).toBe('truncated');
    expect(partial.u8()).toBe(1); // a refused skip moves nothing
  });
});

/** Values as applications store them: JSON plus byte arrays, finite numbers only. */
const valueArb: fc.Arbitrary<Value> = fc.letrec<{ value: Value }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.maxSafeInteger(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.string({ unit: 'binary', maxLength: 20 }),
    fc.uint8Array({ maxLength: 20 }),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(fc.string({ unit: 'binary', maxLength: 8 }), tie('value'), {
      maxKeys: 5,
      noNullPrototype: true,
    }),
  ),
})).value;

const keyArb: fc.Arbitrary<Key> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.integer(),
  fc.maxSafeInteger(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

describe('value codec', () => {
  it('round-trips every value, and re-encodes to the same bytes (property)', () => {
    fc.assert(
      fc.property(valueArb, (v) => {
        assertValue(v);
        const b = written((w) => writeValue(w, v));
        const r = new ByteReader(b);
        const back = readValue(r);
        r.end();
        expect(valueEquals(back, v)).toBe(true);
        expect(valueEquals(v, back)).toBe(true);
        expect(written((w) => writeValue(w, back))).toEqual(b);
      }),
      { numRuns: 500 },
    );
  });

  it('keeps number kinds apart: -0, unsafe integers, negative integers', () => {
    for (const n of [-0, 2 ** 53, -(2 ** 53), -1, Number.MIN_SAFE_INTEGER, 0.1]) {
      const back = readValue(new ByteReader(written((w) => writeValue(w, n))));
      expect(Object.is(back, n), `${n}`).toBe(true);
    }
    expect(written((w) => writeValue(w, 5)).length).toBe(2);
  });

  it('valueEquals tells different values apart', () => {
    const pairs: [Value, Value][] = [
      [1, '1'],
      [[1], [1, 1]],
      [{ a: 1 }, { a: 1, b: 2 }],
      [{ a: 1 }, { b: 1 }],
      [new Uint8Array([1]), new Uint8Array([2])],
      [new Uint8Array([1]), [1]],
      [null, {}],
      [[], {}],
    ];
    for (const [a, b] of pairs) {
      expect(valueEquals(a, b)).toBe(false);
      expect(valueEquals(b, a)).toBe(false);
    }
    expect(valueEquals({ a: 1, b: [2] }, { b: [2], a: 1 })).toBe(true);
  });

  it('a "__proto__" key stays data after decoding', () => {
    const v = JSON.parse('{"__proto__": {"polluted": true}, "x": 1}') as Value;
    const back = readValue(new ByteReader(written((w) => writeValue(w, v))));
    expect(valueEquals(back, v)).toBe(true);
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses duplicate object keys and unknown tags', () => {
    expect(codeOf(() => readValue(new ByteReader(bytes(9, 2, 1, 0x61, 0, 1, 0x61, 0))))).toBe(
      'invariant',
    );
    expect(codeOf(() => readValue(new ByteReader(bytes(10))))).toBe('bad-tag');
    // A float tag holding NaN or Infinity.
    const nan = written((w) => {
      w.u8(5);
      w.f64(Number.NaN);
    });
    expect(codeOf(() => readValue(new ByteReader(nan)))).toBe('invariant');
  });

  it('strings UTF-8 cannot carry are refused up front, not changed on the wire', () => {
    // A lone surrogate would be sent as U+FFFD: the writer and everyone else would then hold
    // different values forever. Mutators must refuse it instead.
    for (const s of ['\uD800', 'a\uDC00', '\uDF0D\uD83C']) {
      expect(() => assertValue(s)).toThrow(InvalidArgumentError);
      expect(() => assertValue({ [s]: 1 })).toThrow(InvalidArgumentError);
      expect(() => assertValue([{ ok: s }])).toThrow(InvalidArgumentError);
      expect(() => assertKey(s)).toThrow(InvalidArgumentError);
      expect(() => AWSet.add(AWSet.empty(), { replica: 'aaaaaaaaaaaaaa' }, s)).toThrow(
        InvalidArgumentError,
      );
      expect(() => MVRegister.set(MVRegister.empty(), { replica: 'aaaaaaaaaaaaaa' }, s)).toThrow(
        InvalidArgumentError,
      );
    }
    // Well-formed pairs are fine.
    expect(() => assertValue({ '🌍': '🌍' })).not.toThrow();
    expect(() => assertKey('🌍')).not.toThrow();
  });
});

describe('keys', () => {
  it('round-trips string and number keys (property), never confusing 1 and "1"', () => {
    fc.assert(
      fc.property(keyArb, (k) => {
        const b = written((w) => writeKey(w, k));
        const r = new ByteReader(b);
        const back = readKey(r);
        r.end();
        expect(typeof back).toBe(typeof k);
        expect(Object.is(back, k) || (back === 0 && k === 0)).toBe(true);
      }),
      { numRuns: 500 },
    );
    expect(written((w) => writeKey(w, 1))).not.toEqual(written((w) => writeKey(w, '1')));
    // A short ASCII key costs its length plus one byte.
    expect(written((w) => writeKey(w, 'sku-1')).length).toBe(6);
  });

  it('refuses a key that is neither an even length nor 1 + a number tag', () => {
    expect(codeOf(() => readKey(new ByteReader(bytes(3))))).toBe('bad-tag');
    expect(codeOf(() => readKey(new ByteReader(bytes(1, 2))))).toBe('bad-tag'); // `true`
    expect(codeOf(() => readKey(new ByteReader(bytes(1, 6, 0))))).toBe('bad-tag'); // a string tag
    expect(codeOf(() => readKey(new ByteReader(bytes(4, 0x61))))).toBe('truncated');
  });

  it('assertKey accepts strings and finite numbers only', () => {
    for (const k of ['', 'a', 0, -1.5, 2 ** 60]) expect(() => assertKey(k)).not.toThrow();
    for (const k of [Number.NaN, Number.POSITIVE_INFINITY, null, undefined, {}, true]) {
      expect(() => assertKey(k)).toThrow(InvalidArgumentError);
    }
  });
});

describe('replica ids in encoded states', () => {
  const stateOf = (ids: readonly ReplicaId[]) => {
    const s = GCounter.empty();
    ids.forEach((replica, i) => {
      GCounter.merge(s, GCounter.increment(s, { replica }, i + 1));
    });
    return s;
  };

  it('packs newReplicaId ids into 7 bytes and flags a single one in the header', () => {
    const id = newReplicaId();
    expect(isCompactReplicaId(id)).toBe(true);
    const compact = GCounter.encode(stateOf([id]));
    const plain = GCounter.encode(stateOf(['alice-laptop-1']));
    // header 1 + id 7 + context 2 + store 2 (an entry of one: its dot, p), against header 1 +
    // count 1 + string 15 + …
    expect(compact.length).toBe(12);
    expect(plain.length).toBe(compact.length + 1 + 8);
    expect(compact[0]! & 0x20).toBe(0x20);
    expect(plain[0]! & 0x20).toBe(0);
    const back = GCounter.decode(compact);
    expect([...back.context.replicas()]).toEqual([id]);
  });

  it('round-trips arbitrary string ids exactly, alone or mixed with compact ones', () => {
    const cases: ReplicaId[][] = [
      ['ABCDEF01234567'], // hex, but upper case: not compact, must not come back lower-cased
      ['abcdef0123456'], // 13 digits
      ['abcdef012345678'], // 15 digits
      ['ζωή', 'x'.repeat(64)],
      ['0123456789abcd', 'alice'],
      ['0123456789abcd', 'fedcba98765432'],
      [newReplicaId(), newReplicaId(), 'server-eu-1'],
    ];
    for (const ids of cases) {
      const s = stateOf(ids);
      const back = GCounter.decode(GCounter.encode(s));
      expect(GCounter.equals(back, s), ids.join(',')).toBe(true);
      expect([...back.context.replicas()].sort()).toEqual([...ids].sort());
    }
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ unit: 'binary', minLength: 1, maxLength: 32 }), {
          minLength: 1,
          maxLength: 6,
        }),
        (ids) => {
          const s = stateOf(ids);
          const back = GCounter.decode(GCounter.encode(s));
          expect(GCounter.equals(back, s)).toBe(true);
          expect(GCounter.value(back)).toBe((ids.length * (ids.length + 1)) / 2);
        },
      ),
    );
  });

  it('refuses tables with a repeated id, or an id that is too long; length 0 is an epoch id', () => {
    const clock = (replica: ReplicaId) => ({
      replica,
      now: () => ({ wall: 1, counter: 0, replica }),
    });
    const good = LWWMap.encode(LWWMap.set(LWWMap.empty(), clock('bob'), 'k', 1));
    // header, table head (1 id, not compact), then the length-prefixed id "bob".
    expect([...good.subarray(1, 6)]).toEqual([2, 3, 0x62, 0x6f, 0x62]);
    const withId = (id: Uint8Array) =>
      new Uint8Array([good[0]!, 2, id.length, ...id, ...good.subarray(6)]);
    // No replica id is empty, so old bytes never hold length 0: it says 10 raw bytes follow.
    expect(codeOf(() => LWWMap.decode(withId(new Uint8Array(0))))).toBe('truncated');
    expect(codeOf(() => LWWMap.decode(withId(new Uint8Array(65).fill(0x61))))).toBe('invariant');
    expect(codeOf(() => LWWMap.decode(withId(new Uint8Array(64).fill(0x61))))).toBe('ok');

    const two = LWWRegister.join(
      LWWRegister.set(LWWRegister.empty(), clock('bob'), 1),
      LWWRegister.set(LWWRegister.empty(), clock('eve'), 2),
    );
    const enc = LWWRegister.encode(two);
    const eve = enc.indexOf(0x65);
    const dup = enc.slice();
    dup.set([0x62, 0x6f, 0x62], eve);
    expect(codeOf(() => LWWRegister.decode(dup))).toBe('invariant');
  });
});

describe('causal contexts in encoded states', () => {
  const R = 'abcdefabcdef01';
  const encodeContext = (ctx: CausalContext) =>
    AWSet.encode({ context: ctx, store: AWSet.kind.empty() });

  it('writes a version-vector range [1, n] as its top and one byte, whatever n', () => {
    for (const n of [1, 10, 1_000_000, 2 ** 48]) {
      const bytes = encodeContext(new CausalContext().addRange(R, 1, n));
      const top = written((w) => w.uint(n)).length;
      // header, 7-byte id, varint(n), one byte for the range, the empty store's count
      expect(bytes.length, `n = ${n}`).toBe(1 + 7 + top + 1 + 1);
      expect(AWSet.decode(bytes).context.rangesOf(R)).toEqual([1, n]);
    }
    // A delta's single dot high up also costs one byte past its top.
    expect(encodeContext(new CausalContext().add(R, 1_000_000)).length).toBe(1 + 7 + 3 + 1 + 1);
  });

  it('round-trips contexts with dot clouds (property)', () => {
    const rangesArb = fc.uniqueArray(fc.integer({ min: 1, max: 5000 }), {
      minLength: 1,
      maxLength: 30,
    });
    fc.assert(
      fc.property(
        fc.dictionary(fc.constantFrom('a', 'b', R, 'fedcba98765432'), rangesArb, {
          minKeys: 1,
          noNullPrototype: true,
        }),
        fc.boolean(),
        (bySeqs, withPrefix) => {
          const ctx = new CausalContext();
          for (const [replica, seqs] of Object.entries(bySeqs)) {
            for (const seq of seqs) ctx.add(replica, seq);
            if (withPrefix) ctx.addRange(replica, 1, 40);
          }
          const back = AWSet.decode(encodeContext(ctx)).context;
          expect(back.equals(ctx)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses ranges that start below 1 or after their end', () => {
    const ok = encodeContext(new CausalContext().addRange(R, 3, 5));
    // header, id, top 5, then the lowest range: start − 1 = 2 (×4 + 2) or length 2 (×4).
    expect([...ok.subarray(8)]).toEqual([5, 8, 0]);
    const withLowest = (packed: number) => new Uint8Array([...ok.subarray(0, 9), packed, 0]);
    expect(AWSet.decode(withLowest(8)).context.rangesOf(R)).toEqual([3, 5]);
    expect(AWSet.decode(withLowest(10)).context.rangesOf(R)).toEqual([3, 5]); // start form
    expect(codeOf(() => AWSet.decode(withLowest(6 * 4)))).toBe('invariant'); // length 6 > 5
    expect(codeOf(() => AWSet.decode(withLowest(5 * 4 + 2)))).toBe('invariant'); // start 6 > 5
  });
});
