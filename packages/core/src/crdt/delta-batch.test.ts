import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteWriter } from '../codec/byte-writer.js';
import { DecodeError, ValidationError } from '../errors.js';
import {
  type AnyTypeCase,
  historyArb,
  runHistory,
  typeCases,
} from '../test-support/arbitraries.js';
import { validateDelta } from '../validation/validate-delta.js';
import { PNCounter } from './counter.js';
import type { CrdtState } from './crdt-type.js';
import {
  DELTA_BATCH_FORMAT_VERSION,
  decodeAnyDeltaBatch,
  decodeDeltaBatch,
  encodeDeltaBatch,
  mergeDeltaBatch,
} from './delta-batch.js';
import { LWWMap, type LWWMapState } from './lww-map.js';
import { decodeState } from './registry.js';

const RUNS = Number(process.env.HELIOS_PROPERTY_RUNS ?? 60);

type State = CrdtState<unknown>;

/** Every delta a random history made: the mutators' and the digest syncs'. */
function deltasOf(c: AnyTypeCase, history: Parameters<typeof runHistory>[1]): State[] {
  const run = runHistory(c, history);
  return [...run.ops.map((o) => o.delta), ...run.syncDeltas];
}

const input = (c: AnyTypeCase) =>
  fc.record({ history: historyArb(c.op, { lossy: true, maxSteps: 16 }), seed: fc.nat() });

/** The outcome of admitting `delta` into `current` as written by `writer`. */
function admission(c: AnyTypeCase, current: State, delta: State, writer: string): string {
  try {
    return validateDelta(c.type, current, delta, { replicas: new Set([writer]) });
  } catch (e) {
    if (e instanceof ValidationError) return e.code;
    throw e;
  }
}

describe.each(typeCases)('$name delta batches', (c) => {
  const T = c.type;

  it('decode to what decoding each delta on its own gives, in order', () => {
    fc.assert(
      fc.property(input(c), ({ history }) => {
        const deltas = deltasOf(c, history);
        const decoded = decodeDeltaBatch(T, encodeDeltaBatch(T, deltas));
        expect(decoded.length).toBe(deltas.length);
        decoded.forEach((d, i) => {
          const single = T.decode(T.encode(deltas[i]!));
          expect(T.equals(d, single)).toBe(true);
          expect(T.value(d)).toEqual(T.value(single));
        });
        const any = decodeAnyDeltaBatch(encodeDeltaBatch(T, deltas));
        expect(any.type.name).toBe(T.name);
        expect(any.deltas.length).toBe(deltas.length);
      }),
      { numRuns: RUNS },
    );
  });

  it('merge to the state that merging each delta gives, changed exactly when it changes', () => {
    fc.assert(
      fc.property(input(c), ({ history, seed }) => {
        const run = runHistory(c, history);
        const deltas = [...run.ops.map((o) => o.delta), ...run.syncDeltas];
        const start = run.states[seed % run.states.length]!;
        const one = T.clone(start);
        let changed = false;
        for (const d of deltas) if (T.merge(one, T.decode(T.encode(d)))) changed = true;
        const batched = T.clone(start);
        expect(mergeDeltaBatch(T, batched, encodeDeltaBatch(T, deltas))).toBe(changed);
        expect(T.equals(batched, one)).toBe(true);
        expect(T.value(batched)).toEqual(T.value(one));
      }),
      { numRuns: RUNS },
    );
  });

  it('are admitted delta by delta exactly as single deltas are', () => {
    fc.assert(
      fc.property(input(c), ({ history, seed }) => {
        const run = runHistory(c, history);
        const current = run.states[seed % run.states.length]!;
        const ops = run.ops;
        const decoded = decodeDeltaBatch(
          T,
          encodeDeltaBatch(
            T,
            ops.map((o) => o.delta),
          ),
        );
        decoded.forEach((d, i) => {
          const op = ops[i]!;
          const single = T.decode(T.encode(op.delta));
          expect(admission(c, current, d, op.replica)).toBe(
            admission(c, current, single, op.replica),
          );
          // A writer bound to another replica is refused alike.
          expect(admission(c, current, d, 'not-the-writer')).toBe(
            admission(c, current, single, 'not-the-writer'),
          );
        });
      }),
      { numRuns: RUNS },
    );
  });

  it('refuse every truncation with a DecodeError and change nothing', () => {
    fc.assert(
      fc.property(input(c), fc.nat(), ({ history }, cut) => {
        const deltas = deltasOf(c, history);
        const bytes = encodeDeltaBatch(T, deltas);
        const target = T.empty();
        const short = bytes.subarray(0, cut % bytes.length);
        expect(() => mergeDeltaBatch(T, target, short)).toThrow(DecodeError);
        expect(T.equals(target, T.empty())).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('delta batches', () => {
  const actor = (replica: string) => ({ replica, now: () => ({ wall: 5, counter: 0, replica }) });
  const sets = ['0123456789abcd', 'fedcba98765432', 'user:alice'].map((id, i) =>
    LWWMap.set(LWWMap.empty(), actor(id), 'k', i),
  );

  it('name each replica once, however many deltas it wrote', () => {
    const a = actor('0123456789abcd');
    const s = LWWMap.empty();
    const deltas = [];
    for (let i = 0; i < 50; i++) {
      const d = LWWMap.set(s, a, `k${i}`, i);
      LWWMap.merge(s, d);
      deltas.push(d);
    }
    const batch = encodeDeltaBatch(LWWMap, deltas);
    const singles = deltas.reduce((n, d) => n + LWWMap.encode(d).length, 0);
    expect(batch.length).toBeLessThan(singles - 40 * 6);
  });

  it('are told from states by their first byte, both ways', () => {
    const batch = encodeDeltaBatch(LWWMap, sets);
    expect(() => decodeState(batch)).toThrow(/delta batch/);
    const state = LWWMap.encode(sets[0]!);
    expect(() => decodeDeltaBatch(LWWMap, state)).toThrow(/not a delta batch/);
  });

  it('of one type are refused as another (wrong-type), and unknown versions (bad-version)', () => {
    const batch = encodeDeltaBatch(LWWMap, sets);
    expect(() => decodeDeltaBatch(PNCounter, batch)).toThrow(
      expect.objectContaining({ code: 'wrong-type' }),
    );
    const later = batch.slice();
    later[1] = DELTA_BATCH_FORMAT_VERSION + 1;
    expect(() => decodeDeltaBatch(LWWMap, later)).toThrow(
      expect.objectContaining({ code: 'bad-version' }),
    );
    const laterStates = batch.slice();
    laterStates[2] = 2;
    expect(() => decodeDeltaBatch(LWWMap, laterStates)).toThrow(
      expect.objectContaining({ code: 'bad-version' }),
    );
  });

  it('refuse a replica index outside the table and a replica listed twice in a delta', () => {
    const w = new ByteWriter();
    w.u8(LWWMap.typeId);
    w.u8(DELTA_BATCH_FORMAT_VERSION);
    w.u8(3);
    w.uint(3); // one compact id
    for (let i = 0; i < 7; i++) w.u8(i);
    w.uint(1); // one delta
    w.uint(1); // of one replica
    const head = w.finish();
    const outside = Uint8Array.of(...head, 1, 1, 0, 0);
    expect(() => decodeDeltaBatch(LWWMap, outside)).toThrow(
      expect.objectContaining({ code: 'invariant' }),
    );
    const twice = head.slice();
    twice[twice.length - 1] = 2;
    const bytes = Uint8Array.of(...twice, 0, 1, 0, 0, 1, 0, 0);
    expect(() => decodeDeltaBatch(LWWMap, bytes)).toThrow(/listed twice/);
  });

  it('merge a re-sent dot and a context that removes more exactly as merging each delta does', () => {
    // Merging is not admission (validateDelta refuses such deltas from a writer): a batch
    // joins what it holds, as its deltas merged one by one would, and never throws for it.
    const a = actor('0123456789abcd');
    const b = actor('fedcba98765432');
    const first = LWWMap.set(LWWMap.empty(), a, 'k', 'x');
    // The same dot a:1 with other content.
    const resent = LWWMap.set(LWWMap.empty(), a, 'k', 'y');
    const other = LWWMap.set(LWWMap.empty(), b, 'j', 1);
    // A set of 'j' whose context also covers a:1, the dot that holds 'k'.
    const overreach = LWWMap.set(other, b, 'j', 2);
    overreach.context.add('0123456789abcd', 1);
    const merged = (deltas: LWWMapState[]) => {
      const one = LWWMap.clone(target);
      let changed = false;
      for (const d of deltas)
        if (LWWMap.merge(one, LWWMap.decode(LWWMap.encode(d)))) changed = true;
      const batched = LWWMap.clone(target);
      expect(mergeDeltaBatch(LWWMap, batched, encodeDeltaBatch(LWWMap, deltas))).toBe(changed);
      expect(LWWMap.equals(batched, one)).toBe(true);
      return batched;
    };
    const target = LWWMap.empty();
    LWWMap.merge(target, first);
    expect(LWWMap.get(merged([resent]), 'k')).toBe('x');
    expect(LWWMap.get(merged([resent, first, resent]), 'k')).toBe('x');
    const removed = merged([other, resent, overreach, first]);
    expect(LWWMap.get(removed, 'k')).toBeUndefined();
    expect(LWWMap.get(removed, 'j')).toBe(2);
  });

  it('never crash nor hang on random and mutated bytes: a DecodeError or deltas, target unchanged', () => {
    const good = encodeDeltaBatch(LWWMap, sets);
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 96 }),
          fc
            .array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { minLength: 1, maxLength: 4 })
            .map((edits) => {
              const b = good.slice();
              for (const [at, v] of edits) b[at % b.length] = v;
              return b;
            }),
        ),
        (bytes) => {
          const target = LWWMap.empty();
          LWWMap.merge(target, sets[0]!);
          const before = LWWMap.clone(target);
          try {
            const { type, deltas } = decodeAnyDeltaBatch(bytes, {
              maxBytes: 4096,
              maxDepth: 8,
              maxElements: 500,
            });
            for (const d of deltas) type.merge(type.empty(), d);
          } catch (e) {
            expect(e).toBeInstanceOf(DecodeError);
          }
          try {
            mergeDeltaBatch(LWWMap, target, bytes);
          } catch (e) {
            expect(e).toBeInstanceOf(DecodeError);
            expect(LWWMap.equals(target, before)).toBe(true);
          }
        },
      ),
      { numRuns: 3000 },
    );
  });
});
