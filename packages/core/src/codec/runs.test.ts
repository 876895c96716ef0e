import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../errors.js';
import { ByteReader } from './byte-reader.js';
import { ByteWriter } from './byte-writer.js';
import {
  MAX_DELTA_VALUE,
  readRuns,
  readStepsByReplica,
  writeRuns,
  writeStepsByReplica,
} from './runs.js';
import { compareUtf8, StringTable, StringTableWriter, utf8 } from './string-table.js';

const valueArb = fc.oneof(
  fc.nat({ max: 20 }),
  fc.constantFrom(MAX_DELTA_VALUE, MAX_DELTA_VALUE + 1, Number.MAX_SAFE_INTEGER),
  fc.nat(),
);

describe('run columns', () => {
  it('read back exactly what was written, in either mode, and refuse a wrong count', () => {
    fc.assert(
      fc.property(fc.array(valueArb, { maxLength: 60 }), (values) => {
        const w = new ByteWriter();
        writeRuns(w, values);
        const bytes = w.finish();
        const r = new ByteReader(bytes);
        expect([...readRuns(r, values.length, 0, Number.MAX_SAFE_INTEGER)]).toEqual(values);
        r.end();
        expect(() => readRuns(new ByteReader(bytes), values.length + 1, 0, 2 ** 53)).toThrow(
          DecodeError,
        );
        if (values.length > 0) {
          const max = Math.max(...values);
          expect(() => readRuns(new ByteReader(bytes), values.length, 0, max - 1)).toThrow(
            DecodeError,
          );
        }
      }),
    );
  });

  it('steps by replica round-trip, and a contiguous range costs a few bytes', () => {
    const rowArb = fc.array(fc.tuple(fc.nat({ max: 2 }), valueArb), { maxLength: 60 });
    fc.assert(
      fc.property(rowArb, (rows) => {
        const replica = Float64Array.from(rows.map(([r]) => r));
        const values = rows.map(([, v]) => v);
        const w = new ByteWriter();
        writeStepsByReplica(w, values, replica, 3);
        const r = new ByteReader(w.finish());
        expect([...readStepsByReplica(r, replica, 3, 0, Number.MAX_SAFE_INTEGER)]).toEqual(values);
        r.end();
      }),
    );
    const n = 10_000;
    const replica = Float64Array.from({ length: n }, (_, i) => (i % 10 === 0 ? 1 : 0));
    const seq = Array.from({ length: n }, (_, i) => (i % 10 === 0 ? i / 10 + 1 : i + 1));
    const w = new ByteWriter();
    writeStepsByReplica(w, seq, replica, 2);
    expect(w.length).toBeLessThan(n / 2);
  });
});

describe('string tables', () => {
  it('find every key by its UTF-8, in shortlex order, and give back every string', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ unit: 'grapheme', maxLength: 6 }), { maxLength: 30 }),
        fc.array(fc.string({ maxLength: 4 }), { maxLength: 10 }),
        (keys, values) => {
          const sorted = keys.map((k) => ({ k, b: utf8(k) })).sort((a, b) => compareUtf8(a.b, b.b));
          const t = new StringTableWriter(
            sorted.map((e) => e.k),
            sorted.map((e) => e.b.length),
          );
          const indices = values.map((v) => t.intern(v.replace(/\p{Cs}/gu, '')));
          const w = new ByteWriter();
          t.write(w);
          const r = new ByteReader(w.finish());
          const table = new StringTable(r, keys.length);
          r.end();
          sorted.forEach((e, i) => {
            expect(table.find(e.b, keys.length)).toBe(i);
            expect(table.at(i)).toBe(e.k);
          });
          expect(table.find(utf8('\u{10ffff}not a key'), keys.length)).toBe(-1);
          for (let i = 0; i < values.length; i++) {
            expect(table.at(indices[i]!)).toBe(values[i]!.replace(/\p{Cs}/gu, ''));
          }
        },
      ),
    );
  });
});
