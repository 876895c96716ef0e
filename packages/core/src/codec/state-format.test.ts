import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HybridLogicalClock } from '../clock/hybrid-logical-clock.js';
import { PNCounter } from '../crdt/counter.js';
import { READABLE_STATE_FORMATS, STATE_FORMAT_VERSION } from '../crdt/crdt-type.js';
import { LWWMap } from '../crdt/lww-map.js';
import { MVRegister } from '../crdt/mv-register.js';
import { decodeState } from '../crdt/registry.js';
// Registers the types the fixtures hold.
import '../crdt/lww-register.js';
import '../crdt/or-map.js';
import '../crdt/sets.js';
import { DecodeError } from '../errors.js';
import { ByteReader } from './byte-reader.js';
import { ByteWriter } from './byte-writer.js';
import { readValue, type Value, writeValue } from './value.js';

interface Fixture {
  readonly name: string;
  readonly type: string;
  readonly hex: string;
  readonly json: unknown;
}

const fixtures: readonly Fixture[] = JSON.parse(
  readFileSync(new URL('./state-format-v1.fixtures.json', import.meta.url), 'utf8'),
).states;

const bytesOf = (hex: string) => Uint8Array.from(Buffer.from(hex, 'hex'));

describe('state format', () => {
  it('writes format 3 and reads formats 1, 2 (snapshots) and 3', () => {
    expect(STATE_FORMAT_VERSION).toBe(3);
    expect(READABLE_STATE_FORMATS).toEqual([1, 2, 3]);
    const clock = new HybridLogicalClock({ replica: '0123456789abcd' });
    expect(LWWMap.encode(LWWMap.set(LWWMap.empty(), clock, 'k', 'v'))[0]! >> 6).toBe(3);
  });

  it.each(fixtures)('decodes bytes format 1 wrote: $name', (f) => {
    const bytes = bytesOf(f.hex);
    expect(bytes[0]! >> 6).toBe(1);
    const { type, state } = decodeState(bytes);
    expect(type.name).toBe(f.type);
    expect(type.toJson(state)).toEqual(f.json);
    // Written again as format 3: no larger, and the same state.
    const again = type.encode(state);
    expect(again.length).toBeLessThanOrEqual(bytes.length);
    expect(type.equals(type.decode(again), state)).toBe(true);
  });

  it('refuses the one-byte value tags in format 1 bytes', () => {
    const f = fixtures.find((x) => x.name === 'lww-map set')!;
    const bytes = bytesOf(f.hex);
    // The value "ten bytes!" is tag 6, length 10: put the format 3 short-string tag instead.
    const at = bytes.length - 12;
    expect([bytes[at], bytes[at + 1]]).toEqual([6, 10]);
    const forged = Uint8Array.of(...bytes.subarray(0, at), 0x80 + 10, ...bytes.subarray(at + 2));
    expect(() => decodeState(forged)).toThrow(expect.objectContaining({ code: 'bad-tag' }));
    const asFormat3 = forged.slice();
    asFormat3[0] = (3 << 6) | (asFormat3[0]! & 0x3f);
    // Labelled format 3, format 1's counts no longer read as counts: refused, not misread.
    expect(() => decodeState(asFormat3)).toThrow(DecodeError);
  });

  it('never crashes on mutated format 1 bytes: a DecodeError, or a state that re-encodes', () => {
    const inputs = fixtures.map((f) => bytesOf(f.hex));
    fc.assert(
      fc.property(
        fc.nat({ max: inputs.length - 1 }),
        fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { minLength: 1, maxLength: 3 }),
        fc.nat(),
        (which, edits, cut) => {
          const bytes = inputs[which]!.slice(0, Math.max(1, inputs[which]!.length - (cut % 3)));
          // Keep the header's format 1, so the format 1 paths are the ones fuzzed.
          for (const [at, v] of edits) bytes[1 + (at % (bytes.length - 1 || 1))] = v;
          try {
            const { type, state } = decodeState(bytes, {
              maxBytes: 4096,
              maxDepth: 8,
              maxElements: 600,
            });
            expect(type.equals(type.decode(type.encode(state)), state)).toBe(true);
          } catch (e) {
            expect(e).toBeInstanceOf(DecodeError);
          }
        },
      ),
      { numRuns: 5000 },
    );
  });

  it('refuses unknown format versions', () => {
    const bytes = PNCounter.encode(PNCounter.increment(PNCounter.empty(), { replica: 'r' }));
    for (const version of [0, 2]) {
      const other = bytes.slice();
      other[0] = (version << 6) | (other[0]! & 0x3f);
      expect(() => decodeState(other)).toThrow(expect.objectContaining({ code: 'bad-version' }));
    }
  });

  it('saves the count bytes of a one-key, one-entry delta and the tag of short values', () => {
    const clock = new HybridLogicalClock({ replica: '0123456789abcd', now: () => 1e12 });
    const delta = LWWMap.set(LWWMap.empty(), clock, 'key0042', 'ten bytes!');
    // header 1, id 7, context 2, map of one key 8, dot 1, wall 6, value 11
    expect(LWWMap.encode(delta).length).toBe(36);
    const mv = MVRegister.set(MVRegister.empty(), { replica: 'r' }, 63);
    expect([...MVRegister.encode(mv)].slice(-1)).toEqual([0x40 + 63]);
  });

  it('round-trips every value with and without the one-byte tags', () => {
    const value: fc.Arbitrary<Value> = fc.letrec<{ v: Value }>((tie) => ({
      v: fc.oneof(
        { depthSize: 'small' },
        fc.constant(null),
        fc.boolean(),
        fc.integer({ min: -100, max: 200 }),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.string({ unit: 'binary', maxLength: 140 }).filter((s) => !/\p{Cs}/u.test(s)),
        fc.uint8Array({ maxLength: 4 }),
        fc.array(tie('v'), { maxLength: 3 }),
        fc.dictionary(fc.string({ maxLength: 3 }), tie('v'), { maxKeys: 3 }),
      ),
    })).v;
    fc.assert(
      fc.property(value, fc.boolean(), (v, compact) => {
        const w = new ByteWriter();
        writeValue(w, v, compact);
        const r = new ByteReader(w.finish());
        r.format = compact ? 3 : 1;
        expect(readValue(r)).toEqual(v);
        r.end();
      }),
    );
  });
});
