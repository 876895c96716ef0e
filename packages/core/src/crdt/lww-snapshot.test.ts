import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { CausalContext } from '../causal/causal-context.js';
import { ByteWriter, isAscii } from '../codec/byte-writer.js';
import { writeContext } from '../codec/replica-table.js';
import { writeRuns, writeStepsByReplica } from '../codec/runs.js';
import type { Key, Value } from '../codec/value.js';
import { DecodeError } from '../errors.js';
import {
  historyArb,
  keyArb,
  lwwMapCase,
  type MapOp,
  runHistory,
  typeCases,
  valueArb,
} from '../test-support/arbitraries.js';
import { blockedSnapshot } from '../test-support/blocked-snapshot.js';
import { validateDelta } from '../validation/validate-delta.js';
import {
  BLOCKED_SNAPSHOT_FLAG,
  type CrdtState,
  SNAPSHOT_FORMAT_VERSION,
  STATE_FORMAT_VERSION,
} from './crdt-type.js';
import type { DotFun } from './dot-fun.js';
import type { DotMap } from './dot-map.js';
import type { LwwEntry } from './entry-values.js';
import type { LazyMap } from './lazy-map.js';
import type { ClockedActor } from './lww.js';
import { LwwColumns } from './lww-columns.js';
import { LWWMap } from './lww-map.js';
import { decodeState } from './registry.js';

type State = CrdtState<DotMap<DotFun<LwwEntry>>>;

const RUNS = Number(process.env.HELIOS_PROPERTY_RUNS ?? 150);
const KEYS: readonly Key[] = ['a', 'b', '1', 1, -2.5, 'absent', 7];

/** Final replica states of random LWW-Map histories, with lost deltas (dot clouds) too. */
const statesArb = historyArb(lwwMapCase.op, { lossy: true, maxSteps: 30 }).map(
  (h) => runHistory(lwwMapCase, h).states,
);

/** As the client opens its own stored snapshot: blocks of 2 keys, each decoded on first use. */
/**
 * How many replicas' spans a test block lists: set per property run, so that blocks with spans
 * (few writers) and without (many) both meet every operation.
 */
let spanned = 16;
const lazyOf = (s: State): State => LWWMap.decodeStored(blockedSnapshot(s, 2, spanned));
const eagerOf = (s: State): State => LWWMap.decode(LWWMap.encode(s));
const isLazy = (s: State): boolean => (s.store.entries as LazyMap<Key, unknown>).isLazy === true;
const sortedValue = (s: State): [Key, Value][] =>
  [...LWWMap.value(s)].sort(([a], [b]) => {
    const ka = `${typeof a}:${String(a)}`;
    const kb = `${typeof b}:${String(b)}`;
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });

/** What happens to both states of a pair, in the same order. */
type Action =
  | { kind: 'get'; key: Key }
  | { kind: 'size' }
  | { kind: 'write'; at: number; op: MapOp }
  | { kind: 'merge'; from: number }
  | { kind: 'deltaSince'; from: number }
  | { kind: 'admit'; at: number; op: MapOp }
  | { kind: 'value' }
  | { kind: 'reencode' };

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  fc.record({ kind: fc.constant('get' as const), key: fc.constantFrom(...KEYS) }),
  fc.record({ kind: fc.constant('size' as const) }),
  fc.record({ kind: fc.constant('write' as const), at: fc.nat(3), op: lwwMapCase.op }),
  fc.record({ kind: fc.constant('merge' as const), from: fc.nat(3) }),
  fc.record({ kind: fc.constant('deltaSince' as const), from: fc.nat(3) }),
  fc.record({ kind: fc.constant('admit' as const), at: fc.nat(3), op: lwwMapCase.op }),
  fc.record({ kind: fc.constant('value' as const) }),
  fc.record({ kind: fc.constant('reencode' as const) }),
);

/** An actor whose clock reads a fixed, ever-increasing time, the same for both states. */
function actorFor(replica: string, tick: { wall: number }): ClockedActor {
  return { replica, now: () => ({ wall: ++tick.wall, counter: 0, replica }) };
}

/** Runs `a` on a lazily and an eagerly decoded copy of one state; expects the same outcome. */
function act(a: Action, lazy: State, eager: State, states: State[], tick: { wall: number }): void {
  const replicas = states.map((_, i) => `r${i}`);
  const other =
    states[(a.kind === 'merge' || a.kind === 'deltaSince' ? a.from : 0) % states.length]!;
  switch (a.kind) {
    case 'get':
      expect(LWWMap.get(lazy, a.key)).toEqual(LWWMap.get(eager, a.key));
      expect(lazy.store.entries.has(a.key)).toBe(eager.store.entries.has(a.key));
      break;
    case 'size':
      expect(lazy.store.entries.size).toBe(eager.store.entries.size);
      break;
    case 'write': {
      const replica = replicas[a.at % replicas.length]!;
      const fromLazy = lwwMapCase.mutate(lazy, actorFor(replica, { wall: tick.wall }), a.op);
      const fromEager = lwwMapCase.mutate(eager, actorFor(replica, tick), a.op);
      expect(LWWMap.equals(fromLazy, fromEager)).toBe(true);
      expect(LWWMap.merge(lazy, fromLazy)).toBe(LWWMap.merge(eager, fromEager));
      break;
    }
    case 'merge': {
      // A lazy delta too: a relay merges a stored snapshot into the document it holds.
      const lazyDelta = lazyOf(other);
      const viaLazyDelta = LWWMap.clone(eager);
      const changed = LWWMap.merge(eager, LWWMap.clone(other));
      expect(LWWMap.merge(viaLazyDelta, lazyOf(other))).toBe(changed);
      expect(LWWMap.equals(viaLazyDelta, eager)).toBe(true);
      expect(LWWMap.merge(lazy, lazyDelta)).toBe(changed);
      expect(LWWMap.conflicts(lazy.store, lazyDelta.store)).toBe(
        LWWMap.conflicts(eager.store, other.store),
      );
      break;
    }
    case 'deltaSince': {
      const digest = LWWMap.digest(other);
      const fromLazy = LWWMap.deltaSince(lazy, digest);
      expect(LWWMap.equals(fromLazy, LWWMap.deltaSince(eager, digest))).toBe(true);
      expect(LWWMap.digest(lazy).live.equals(LWWMap.digest(eager).live)).toBe(true);
      break;
    }
    case 'admit': {
      const replica = replicas[a.at % replicas.length]!;
      const delta = lwwMapCase.mutate(other, actorFor(replica, { wall: tick.wall }), a.op);
      const outcome = (s: State) => {
        try {
          return validateDelta(LWWMap, s, delta, {
            replicas: new Set([replica]),
            now: () => tick.wall,
          });
        } catch (err) {
          return (err as { code?: string }).code ?? String(err);
        }
      };
      expect(outcome(lazy)).toBe(outcome(eager));
      break;
    }
    case 'value':
      expect(sortedValue(lazy)).toEqual(sortedValue(eager));
      expect(LWWMap.toJson(lazy)).toEqual(LWWMap.toJson(eager));
      break;
    case 'reencode':
      expect(LWWMap.equals(eagerOf(lazy), eager)).toBe(true);
      expect(LWWMap.equals(lazyOf(lazy), eager)).toBe(true);
      expect(LWWMap.encodeSnapshot(lazy)).toEqual(LWWMap.encodeSnapshot(eager));
      break;
  }
}

describe('LWW-Map snapshots (format version 2)', () => {
  it('round-trip, checked or stored, in any block size: equal state, value and keys, the same bytes again', () => {
    fc.assert(
      fc.property(
        statesArb,
        fc.integer({ min: 1, max: 5 }),
        fc.nat(3),
        (states, blockKeys, most) => {
          for (const s of states) {
            const bytes = LWWMap.encodeSnapshot(s);
            expect(bytes[0]!).toBe(
              (SNAPSHOT_FORMAT_VERSION << 6) | BLOCKED_SNAPSHOT_FLAG | LWWMap.typeId,
            );
            // Spans for at most 0 to 3 replicas a block: some blocks with, some without.
            const small = blockedSnapshot(s, blockKeys, most);
            for (const lazy of [
              LWWMap.decode(bytes),
              LWWMap.decodeStored(bytes),
              LWWMap.decode(small),
              LWWMap.decodeStored(small),
            ]) {
              for (const k of KEYS) {
                expect(LWWMap.get(lazy, k)).toEqual(LWWMap.get(s, k));
                expect(lazy.store.entries.has(k)).toBe(s.store.entries.has(k));
              }
              expect(lazy.store.entries.size).toBe(s.store.entries.size);
              expect(LWWMap.equals(lazy, s)).toBe(true);
              expect(LWWMap.encodeSnapshot(lazy)).toEqual(bytes);
            }
            const any = decodeState(small);
            expect(any.type).toBe(LWWMap);
            expect(LWWMap.equals(any.state as State, s)).toBe(true);
          }
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('a lazily decoded state behaves exactly as the eagerly decoded one under any operations', () => {
    fc.assert(
      fc.property(
        statesArb,
        fc.array(actionArb, { maxLength: 12 }),
        fc.boolean(),
        (states, actions, spans) => {
          spanned = spans ? 16 : 0;
          const lazy = lazyOf(states[0]!);
          const eager = eagerOf(states[0]!);
          const tick = { wall: 1_800_000_000_000 };
          for (const a of actions) {
            // The action on a fresh decode too, so that every operation meets an unmaterialized
            // state, not only the first one of a sequence.
            act(a, lazyOf(eager), LWWMap.clone(eager), states, { wall: tick.wall });
            act(a, lazy, eager, states, tick);
            expect(LWWMap.equals(lazy, eager)).toBe(LWWMap.equals(eager, lazy));
          }
          expect(LWWMap.equals(lazy, eager)).toBe(true);
          expect(LWWMap.equals(eager, lazy)).toBe(true);
          expect(sortedValue(lazy)).toEqual(sortedValue(eager));
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('reads one key and merges deltas without materializing the others; iterating does', () => {
    const clock = actorFor('aaaaaaaaaaaaaa', { wall: 1_700_000_000_000 });
    const other = actorFor('bbbbbbbbbbbbbb', { wall: 1_700_000_000_000 });
    const s = LWWMap.empty();
    for (let i = 0; i < 1000; i++) {
      LWWMap.merge(s, LWWMap.set(s, clock, `k${i}`, i % 2 ? `v${i}` : i));
    }
    const lazy = lazyOf(s);
    expect(LWWMap.get(lazy, 'k777')).toBe('v777');
    expect(LWWMap.get(lazy, 'k778')).toBe(778);
    expect(LWWMap.get(lazy, 'k1000')).toBeUndefined();
    expect(lazy.store.entries.size).toBe(1000);
    // The store handed out for a key is the one the map keeps and merges into, as a Map does.
    const held = lazy.store.entries.get('k5');
    // A delta from this replica, one from a replica that saw k6, a removal, a new key.
    LWWMap.merge(lazy, LWWMap.set(lazy, clock, 'k5', 'new'));
    LWWMap.merge(lazy, LWWMap.set(s, other, 'k6', 'theirs'));
    LWWMap.merge(lazy, LWWMap.remove(lazy, clock, 'k7'));
    LWWMap.merge(lazy, LWWMap.set(lazy, clock, 'fresh', true));
    expect(isLazy(lazy)).toBe(true);
    expect(lazy.store.entries.get('k5')).toBe(held);
    expect(LWWMap.get(lazy, 'k5')).toBe('new');
    expect(LWWMap.get(lazy, 'k6')).toBe('theirs');
    expect(lazy.store.entries.has('k7')).toBe(false);
    expect(LWWMap.get(lazy, 'fresh')).toBe(true);
    expect(lazy.store.entries.size).toBe(1000);
    const value = LWWMap.value(lazy);
    expect(isLazy(lazy)).toBe(false);
    expect(value.size).toBe(1000);
    expect(value.get('k6')).toBe('theirs');
    expect(value.get('k8')).toBe(8);
  });

  it('merges a delta of fresh dots without building the owners index; a covering one builds it', () => {
    const clock = actorFor('aaaaaaaaaaaaaa', { wall: 1_700_000_000_000 });
    const s = LWWMap.empty();
    for (let i = 0; i < 100; i++) LWWMap.merge(s, LWWMap.set(s, clock, `k${i}`, i));
    const lazy = lazyOf(s);
    const eager = LWWMap.clone(s);
    const dotsOf = vi.spyOn(LwwColumns.prototype, 'dotsOf');
    try {
      // A new key: its delta's context holds its own dot only, which no stored dot can be.
      const fresh = LWWMap.set(lazy, clock, 'new', true);
      LWWMap.merge(lazy, fresh);
      LWWMap.merge(eager, fresh);
      expect(dotsOf).not.toHaveBeenCalled();
      // Overwriting a key covers its old dot: that one is looked up in the owners index.
      const over = LWWMap.set(lazy, clock, 'k3', 'again');
      LWWMap.merge(lazy, over);
      LWWMap.merge(eager, over);
      expect(dotsOf).toHaveBeenCalled();
    } finally {
      dotsOf.mockRestore();
    }
    expect(isLazy(lazy)).toBe(true);
    expect(LWWMap.equals(lazy, eager)).toBe(true);
  });

  it('compresses contiguous dots and a shared string value', () => {
    const clock = actorFor('aaaaaaaaaaaaaa', { wall: 1_700_000_000_000 });
    const s = LWWMap.empty();
    for (let i = 0; i < 10_000; i++) LWWMap.merge(s, LWWMap.set(s, clock, `k${i}`, 'same'));
    const bytes = LWWMap.encodeSnapshot(s);
    // Per key: its UTF-8 and its length byte, half a byte of value kind; the rest is runs.
    expect(bytes.length).toBeLessThan(10_000 * 7.6 + 200);
    expect(bytes.length).toBeLessThan(LWWMap.encode(s).length / 2);
  });

  it('types without a snapshot codec write version 1, and refuse a version-2 header', () => {
    for (const c of typeCases) {
      const state = c.type.empty();
      if (c.type === LWWMap) continue;
      expect(c.type.snapshotCodec).toBeUndefined();
      const bytes = c.type.encodeSnapshot(state);
      expect(bytes).toEqual(c.type.encode(state));
      expect(bytes[0]! >> 6).toBe(STATE_FORMAT_VERSION);
      const v2 = bytes.slice();
      v2[0] = (SNAPSHOT_FORMAT_VERSION << 6) | (v2[0]! & 0x1f);
      expect(() => c.type.decode(v2)).toThrow(DecodeError);
      expect(() => decodeState(v2)).toThrow(/no snapshot format/);
    }
  });

  it('still reads version-1 bytes stored before snapshots existed', () => {
    // LWWMap.encode of {a: 1, b: 'x'} by replica 0a1b2c3d4e5f60, as format version 1 wrote it.
    const clock = actorFor('0a1b2c3d4e5f60', { wall: 1_700_000_000_000 });
    const s = LWWMap.empty();
    LWWMap.merge(s, LWWMap.set(s, clock, 'a', 1));
    LWWMap.merge(s, LWWMap.set(s, clock, 'b', 'x'));
    const v1 = Buffer.from(OLD_FORMAT_HEX, 'hex');
    expect(v1[0]! >> 6).toBe(1);
    const back = LWWMap.decode(v1);
    expect(LWWMap.equals(back, s)).toBe(true);
    expect(LWWMap.equals(LWWMap.decode(LWWMap.encodeSnapshot(back)), s)).toBe(true);
  });
});

const OLD_FORMAT_HEX = '650a1b2c3d4e5f600202020261010182a0abfef96203010262010084a0abfef962060178';

/** Writes a snapshot field by field, so a test can break one rule at a time. */
function rawSnapshot(parts: {
  context: CausalContext;
  keys: string[];
  strings?: Uint8Array[];
  replica?: number[];
  seq: number[];
  kinds?: number[];
  stringIndex?: number[];
}): Uint8Array {
  const w = new ByteWriter();
  w.u8((SNAPSHOT_FORMAT_VERSION << 6) | LWWMap.typeId);
  writeContext(w, parts.context);
  w.uint(0); // number keys
  w.uint(parts.keys.length);
  const strings = parts.strings ?? parts.keys.map((k) => new TextEncoder().encode(k));
  w.uint(strings.length);
  writeRuns(
    w,
    strings.map((s) => s.length),
  );
  for (const s of strings) w.bytes(s);
  w.uint(0); // keys with several entries
  const n = parts.keys.length;
  const replica = parts.replica ?? new Array(n).fill(0);
  writeRuns(w, replica);
  writeStepsByReplica(w, parts.seq, replica, 2);
  writeStepsByReplica(w, new Array(n).fill(5), replica, 2);
  writeStepsByReplica(w, new Array(n).fill(0), replica, 2);
  const kinds = parts.kinds ?? new Array(n).fill(0);
  const packed = new Uint8Array(Math.ceil(n / 2));
  kinds.forEach((k, i) => {
    packed[i >> 1]! |= k << ((i & 1) * 4);
  });
  w.bytes(packed);
  writeRuns(w, []);
  writeRuns(w, []);
  writeRuns(w, parts.stringIndex ?? []);
  return w.finish();
}

describe('hostile LWW-Map snapshots', () => {
  const context = new CausalContext().addRange('aaaaaaaaaaaaaa', 1, 3);
  const codeOf = (bytes: Uint8Array): string => {
    try {
      LWWMap.decode(bytes, { maxBytes: 1 << 20, maxDepth: 8, maxElements: 50 });
      return 'decoded';
    } catch (err) {
      if (err instanceof DecodeError) return err.code;
      throw err;
    }
  };

  it('accepts the well-formed one the tests below break', () => {
    expect(codeOf(rawSnapshot({ context, keys: ['a', 'b', 'aa'], seq: [1, 2, 3] }))).toBe(
      'decoded',
    );
  });

  it('refuses keys out of order or twice, bad UTF-8, dots outside the context or held twice', () => {
    expect(codeOf(rawSnapshot({ context, keys: ['b', 'a'], seq: [1, 2] }))).toBe('invariant');
    expect(codeOf(rawSnapshot({ context, keys: ['aa', 'b'], seq: [1, 2] }))).toBe('invariant');
    expect(codeOf(rawSnapshot({ context, keys: ['a', 'a'], seq: [1, 2] }))).toBe('invariant');
    const bad = [new Uint8Array([0x61]), new Uint8Array([0xc3, 0x28])];
    expect(codeOf(rawSnapshot({ context, keys: ['a', 'b'], strings: bad, seq: [1, 2] }))).toBe(
      'bad-utf8',
    );
    expect(codeOf(rawSnapshot({ context, keys: ['a', 'b'], seq: [1, 4] }))).toBe('invariant');
    expect(codeOf(rawSnapshot({ context, keys: ['a', 'b', 'c'], seq: [2, 1, 2] }))).toBe(
      'invariant',
    );
    expect(codeOf(rawSnapshot({ context, keys: ['a'], replica: [1], seq: [1] }))).toBe('invariant');
  });

  it('refuses string indices past the table and unknown value kinds', () => {
    const ok = { context, keys: ['a'], seq: [1], kinds: [5] };
    expect(codeOf(rawSnapshot({ ...ok, stringIndex: [0] }))).toBe('decoded');
    expect(codeOf(rawSnapshot({ ...ok, stringIndex: [1] }))).toBe('invariant');
    expect(codeOf(rawSnapshot({ ...ok, kinds: [7], stringIndex: [] }))).toBe('bad-tag');
  });

  it('refuses more rows than the input holds value kinds for, before allocating them', () => {
    const bytes = rawSnapshot({ context, keys: ['a'], seq: [1] });
    // The one key claims 2^40 more entries: a few bytes asking for terabytes of columns.
    const w = new ByteWriter();
    w.uint(1);
    w.uint(0);
    w.uint(2 ** 40);
    const multi = w.finish();
    // The count of keys with several entries (0) follows the table: 'a' is the table's last byte.
    const at = bytes.indexOf(0x61) + 1;
    expect(bytes[at]).toBe(0);
    const forged = new Uint8Array([...bytes.subarray(0, at), ...multi, ...bytes.subarray(at + 1)]);
    const limits = { maxBytes: 1 << 20, maxDepth: 8, maxElements: Number.MAX_SAFE_INTEGER };
    expect(() => LWWMap.decode(forged, limits)).toThrow(
      expect.objectContaining({ code: 'truncated' }),
    );
  });

  it('charges keys and rows against maxElements', () => {
    const keys = Array.from({ length: 60 }, (_, i) => `k${String(i).padStart(2, '0')}`);
    const many = new CausalContext().addRange('aaaaaaaaaaaaaa', 1, 60);
    const seq = keys.map((_, i) => i + 1);
    expect(codeOf(rawSnapshot({ context: many, keys, seq }))).toBe('limit-elements');
    expect(LWWMap.decode(rawSnapshot({ context: many, keys, seq })).store.entries.size).toBe(60);
  });

  it('orders any string keys, ASCII alone or mixed with others, so every key reads back', () => {
    const ascii = fc.string({
      unit: fc.integer({ min: 0, max: 0x7f }).map((c) => String.fromCharCode(c)),
    });
    const any = fc.string({ unit: 'grapheme', maxLength: 5 });
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.oneof(ascii, any), { maxLength: 40 }),
        fc.boolean(),
        (keys, onlyAscii) => {
          const clock = actorFor('aaaaaaaaaaaaaa', { wall: 1_700_000_000_000 });
          const s = LWWMap.empty();
          const used = onlyAscii ? keys.filter(isAscii) : keys;
          for (const [i, k] of used.entries()) LWWMap.merge(s, LWWMap.set(s, clock, k, i));
          // Decoding refuses keys out of shortlex UTF-8 order: a wrong sort fails here.
          const back = lazyOf(s);
          for (const [i, k] of used.entries()) expect(LWWMap.get(back, k)).toBe(i);
          expect(sortedValue(back)).toEqual(sortedValue(s));
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('every value kind round-trips, including the ones kept in the value encoding', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(keyArb, valueArb), { maxLength: 8 }), (pairs) => {
        const clock = actorFor('aaaaaaaaaaaaaa', { wall: 1_700_000_000_000 });
        const s = LWWMap.empty();
        for (const [k, v] of pairs) LWWMap.merge(s, LWWMap.set(s, clock, k, v));
        for (const v of [2 ** 53 - 1, -(2 ** 53) + 1, -0, 0.5]) {
          LWWMap.merge(s, LWWMap.set(s, clock, 'edge', v));
          const back = lazyOf(s);
          expect(Object.is(LWWMap.get(back, 'edge'), v)).toBe(true);
        }
        expect(sortedValue(lazyOf(s))).toEqual(sortedValue(s));
      }),
      { numRuns: RUNS },
    );
  });
});
