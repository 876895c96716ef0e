import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { CausalContext } from '../causal/causal-context.js';
import { ByteWriter } from '../codec/byte-writer.js';
import { checksum32 } from '../codec/checksum.js';
import { type EncodingTable, writeContext } from '../codec/replica-table.js';
import { type Key, writeKey } from '../codec/value.js';
import { DecodeError } from '../errors.js';
import { blockedSnapshot } from '../test-support/blocked-snapshot.js';
import { BLOCKED_SNAPSHOT_FLAG, type CrdtState, SNAPSHOT_FORMAT_VERSION } from './crdt-type.js';
import type { DotFun } from './dot-fun.js';
import type { DotMap } from './dot-map.js';
import type { LwwEntry } from './entry-values.js';
import type { ClockedActor } from './lww.js';
import { compareKeys } from './lww-blocks.js';
import { LwwColumns } from './lww-columns.js';
import { LWWMap } from './lww-map.js';
import { type DotSpans, writeLwwRows } from './lww-rows-writer.js';

type State = CrdtState<DotMap<DotFun<LwwEntry>>>;

const RUNS = Number(process.env.HELIOS_PROPERTY_RUNS ?? 150);
const A = 'aaaaaaaaaaaaaa';
const B = 'bbbbbbbbbbbbbb';

function actorFor(replica: string, tick: { wall: number }): ClockedActor {
  return { replica, now: () => ({ wall: ++tick.wall, counter: 0, replica }) };
}

/** A map of `n` keys `k0`… set by A, every third set again by B. */
function mapOf(n: number): State {
  const a = actorFor(A, { wall: 1_700_000_000_000 });
  const b = actorFor(B, { wall: 1_700_000_000_000 });
  const s = LWWMap.empty();
  for (let i = 0; i < n; i++) LWWMap.merge(s, LWWMap.set(s, a, `k${i}`, i));
  for (let i = 0; i < n; i += 3) LWWMap.merge(s, LWWMap.set(s, b, `k${i}`, `b${i}`));
  return s;
}

const codeOf = (decode: () => unknown): string => {
  try {
    decode();
    return 'decoded';
  } catch (err) {
    if (err instanceof DecodeError) return err.code;
    throw err;
  }
};

/** Spans of replicas A and B (table indices 0 and 1), each [count, lowest, highest]; count 0: none. */
function spansOf(a: number[], b: number[]): DotSpans {
  const spans: DotSpans = new Map();
  [a, b].forEach(([count, min, max], i) => {
    if (count! > 0) spans.set(i, { count: count!, min: min!, max: max! });
  });
  return spans;
}

/** One block as a test writes it: its keys (in order or not) and each key's one entry. */
interface RawBlock {
  keys: Key[];
  entries: { replica: string; seq: number }[];
}

/**
 * Writes a blocked snapshot field by field, so that a test can break one rule at a time: the
 * index (`first`, `keyCounts`, `lengthSlack`, `spans`) defaults to what the blocks hold; the
 * checksum is always right.
 */
function rawBlocked(parts: {
  context: CausalContext;
  blocks: RawBlock[];
  first?: Key[];
  keyCounts?: number[];
  lengthSlack?: number[];
  spans?: (DotSpans | undefined)[];
  /** Blocks written without spans. */
  unspanned?: number[];
  unblocked?: boolean;
}): Uint8Array {
  const body = new ByteWriter();
  const table = writeContext(body, parts.context) as EncodingTable;
  const counted: DotSpans[] = [];
  const blocks = parts.blocks.map((block) => {
    const spans: DotSpans = new Map();
    counted.push(spans);
    const w = new ByteWriter();
    const entries = new Map(
      block.keys.map((k, i) => {
        const { replica, seq } = block.entries[i]!;
        return [k, [{ replica, seq, value: { wall: 5, counter: 0, value: i } }]];
      }),
    );
    writeLwwRows(
      w,
      table,
      {
        numeric: block.keys.filter((k): k is number => typeof k === 'number'),
        strings: block.keys.filter((k): k is string => typeof k === 'string'),
        lengths: block.keys.filter((k) => typeof k === 'string').map((k) => String(k).length),
        entriesOf: (k) => entries.get(k)!,
      },
      spans,
    );
    return w.finish();
  });
  const out = new ByteWriter();
  if (parts.unblocked) {
    // Format 2 before blocks: the rows of one block right after the context.
    out.u8((SNAPSHOT_FORMAT_VERSION << 6) | LWWMap.typeId);
    out.bytes(body.finish());
    out.bytes(blocks[0]!);
    return out.finish();
  }
  body.uint(blocks.length);
  blocks.forEach((bytes, b) => {
    body.uint(parts.keyCounts?.[b] ?? parts.blocks[b]!.keys.length);
    body.uint(bytes.length + (parts.lengthSlack?.[b] ?? 0));
    writeKey(body, parts.first?.[b] ?? parts.blocks[b]!.keys[0]!);
    const spans = parts.spans?.[b] ?? counted[b]!;
    const held = parts.unspanned?.includes(b) ? [] : [...spans.keys()].sort((x, y) => x - y);
    body.uint(held.length);
    let prev = -1;
    for (const i of held) {
      body.uint(i - prev - 1);
      const { count, min, max } = spans.get(i)!;
      body.uint(count);
      body.uint(min);
      body.uint(max - min);
      prev = i;
    }
  });
  for (const bytes of blocks) body.bytes(bytes);
  const rest = body.finish();
  out.u8((SNAPSHOT_FORMAT_VERSION << 6) | BLOCKED_SNAPSHOT_FLAG | LWWMap.typeId);
  const sum = checksum32(rest);
  for (let shift = 0; shift < 32; shift += 8) out.u8((sum >>> shift) & 0xff);
  out.bytes(rest);
  return out.finish();
}

describe('blocked LWW-Map snapshots', () => {
  const context = new CausalContext().addRange(A, 1, 6).addRange(B, 1, 2);
  const wellFormed = (): RawBlock[] => [
    { keys: [1, 'a', 'b'], entries: [1, 2, 3].map((seq) => ({ replica: A, seq })) },
    {
      keys: ['c', 'aa'],
      entries: [
        { replica: A, seq: 4 },
        { replica: B, seq: 2 },
      ],
    },
  ];

  it('reads the well-formed one the tests below break, checked and stored', () => {
    const bytes = rawBlocked({ context, blocks: wellFormed() });
    for (const s of [LWWMap.decode(bytes), LWWMap.decodeStored(bytes)]) {
      expect(LWWMap.get(s, 'aa')).toBe(1);
      expect(LWWMap.get(s, 1)).toBe(0);
      expect(s.store.entries.size).toBe(5);
    }
  });

  it('refuses an index that does not match its blocks (length, keys, first key, spans), keys out of order across blocks, a dot in two blocks', () => {
    const broken: [string, Parameters<typeof rawBlocked>[0]][] = [
      ['first key', { context, blocks: wellFormed(), first: [1, 'b'] }],
      ['key count', { context, blocks: wellFormed(), keyCounts: [3, 3] }],
      ['length', { context, blocks: wellFormed(), lengthSlack: [1, -1] }],
      [
        'order',
        {
          context,
          blocks: [wellFormed()[1]!, { keys: ['b'], entries: [{ replica: A, seq: 1 }] }],
        },
      ],
      [
        'dot twice',
        {
          context,
          blocks: [wellFormed()[0]!, { keys: ['c'], entries: [{ replica: A, seq: 2 }] }],
        },
      ],
      [
        'dot twice, blocks without spans',
        {
          context,
          blocks: [wellFormed()[0]!, { keys: ['c'], entries: [{ replica: A, seq: 2 }] }],
          unspanned: [0, 1],
        },
      ],
      ['span max', { context, blocks: wellFormed(), spans: [spansOf([3, 1, 4], [0, 0, 0])] }],
      ['span min', { context, blocks: wellFormed(), spans: [spansOf([3, 2, 3], [0, 0, 0])] }],
      ['span count', { context, blocks: wellFormed(), spans: [spansOf([2, 1, 3], [0, 0, 0])] }],
      [
        'span of a replica the block lacks',
        { context, blocks: wellFormed(), spans: [spansOf([3, 1, 3], [1, 1, 1])] },
      ],
    ];
    for (const [what, parts] of broken) {
      expect([what, codeOf(() => LWWMap.decode(rawBlocked(parts)))]).toEqual([what, 'invariant']);
    }
  });

  it('refuses any damaged byte after the header: bad-checksum, checked or stored', () => {
    const bytes = LWWMap.encodeSnapshot(mapOf(50));
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: bytes.length - 1 }),
        fc.integer({ min: 1, max: 255 }),
        (at, xor) => {
          const damaged = bytes.slice();
          damaged[at]! ^= xor;
          expect(codeOf(() => LWWMap.decodeStored(damaged))).toBe('bad-checksum');
          expect(codeOf(() => LWWMap.decode(damaged))).toBe('bad-checksum');
        },
      ),
      { numRuns: RUNS },
    );
    expect(codeOf(() => LWWMap.decodeStored(bytes.subarray(0, bytes.length - 1)))).toBe(
      'bad-checksum',
    );
  });

  it('stored: decodes a block when a key of it is used; a block its writer broke fails there, checked: up front', () => {
    // Block 1 (keys 'b', 'c') holds a dot outside the context: no writer of ours makes that,
    // so only the check of that block can see it.
    const blocks: RawBlock[] = [
      { keys: ['a'], entries: [{ replica: A, seq: 1 }] },
      {
        keys: ['b', 'c'],
        entries: [
          { replica: A, seq: 2 },
          { replica: A, seq: 9 },
        ],
      },
      { keys: ['d'], entries: [{ replica: A, seq: 3 }] },
    ];
    const bytes = rawBlocked({
      context,
      blocks,
      spans: [undefined, spansOf([2, 2, 9], [0, 0, 0])],
    });
    expect(codeOf(() => LWWMap.decode(bytes))).toBe('invariant');
    const stored = LWWMap.decodeStored(bytes);
    expect(LWWMap.get(stored, 'a')).toBe(0);
    expect(stored.store.entries.size).toBe(4);
    expect(codeOf(() => LWWMap.get(stored, 'b'))).toBe('invariant');
    // The blocks share scratch slots per replica: the failed one left them as it found them.
    expect(LWWMap.get(stored, 'd')).toBe(0);
    expect(codeOf(() => LWWMap.get(stored, 'c'))).toBe('invariant');
  });

  it('stored: overwriting a stored key decodes the one block holding its old dot', () => {
    const s = mapOf(100);
    const stored = LWWMap.decodeStored(blockedSnapshot(s, 2));
    const eager = LWWMap.clone(s);
    const dotsOf = vi.spyOn(LwwColumns.prototype, 'dotsOf');
    try {
      // k37 was A's 38th write: its delta's context covers that dot, which is looked up.
      const over = LWWMap.set(stored, actorFor(A, { wall: 1_800_000_000_000 }), 'k37', 'again');
      expect(LWWMap.merge(stored, over)).toBe(LWWMap.merge(eager, over));
      // Asked of one block only (of 50), however often.
      expect(new Set(dotsOf.mock.contexts).size).toBe(1);
    } finally {
      dotsOf.mockRestore();
    }
    expect(LWWMap.get(stored, 'k37')).toBe('again');
    expect(LWWMap.equals(stored, eager)).toBe(true);
  });

  it('a map whose keys each have their own writer: blocks without spans, as small as one block, and as a checked decode', () => {
    const s = LWWMap.empty();
    for (let i = 0; i < 3000; i++) {
      const writer = actorFor(`${String(i).padStart(14, '0')}`, { wall: 1_700_000_000_000 });
      LWWMap.merge(s, LWWMap.set(s, writer, `user${i}`, i));
    }
    const bytes = LWWMap.encodeSnapshot(s);
    // Spans would cost about a row each; one block without them is format 2's size.
    expect(bytes.length).toBeLessThan(blockedSnapshot(s, 1 << 30, 0).length * 1.01);
    const stored = LWWMap.decodeStored(bytes);
    const eager = LWWMap.clone(s);
    expect(LWWMap.get(stored, 'user2500')).toBe(2500);
    // An overwrite by the key's own writer, and a fresh write by a new one.
    const own = actorFor('00000000002500', { wall: 1_800_000_000_000 });
    for (const delta of [
      LWWMap.set(stored, own, 'user2500', 'again'),
      LWWMap.set(stored, actorFor(B, { wall: 1_800_000_000_000 }), 'new', true),
    ]) {
      expect(LWWMap.merge(stored, delta)).toBe(LWWMap.merge(eager, delta));
    }
    expect(LWWMap.equals(stored, eager)).toBe(true);
    expect(LWWMap.equals(LWWMap.decode(LWWMap.encodeSnapshot(eager)), eager)).toBe(true);
  });

  it('still reads format 2 snapshots written before blocks, and rewrites them blocked', () => {
    const bytes = rawBlocked({ context, blocks: [wellFormed()[0]!], unblocked: true });
    expect(bytes[0]!).toBe((SNAPSHOT_FORMAT_VERSION << 6) | LWWMap.typeId);
    for (const s of [LWWMap.decode(bytes), LWWMap.decodeStored(bytes)]) {
      expect([LWWMap.get(s, 1), LWWMap.get(s, 'a'), LWWMap.get(s, 'b')]).toEqual([0, 1, 2]);
      const again = LWWMap.encodeSnapshot(s);
      expect(again[0]! & BLOCKED_SNAPSHOT_FLAG).toBe(BLOCKED_SNAPSHOT_FLAG);
      expect(LWWMap.equals(LWWMap.decode(again), s)).toBe(true);
    }
  });

  it('finds every key, present or not, across blocks of any size', () => {
    const s = mapOf(40);
    LWWMap.merge(s, LWWMap.set(s, actorFor(A, { wall: 1_800_000_000_000 }), -3, 'n'));
    LWWMap.merge(s, LWWMap.set(s, actorFor(A, { wall: 1_900_000_000_000 }), 'é', 'u'));
    const probes: Key[] = [-4, -3, 0, 'k', 'k0', 'k39', 'k40', 'k5', 'é', 'ê', ''];
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 45 }), (blockKeys) => {
        const stored = LWWMap.decodeStored(blockedSnapshot(s, blockKeys));
        for (const k of probes) expect(LWWMap.get(stored, k)).toEqual(LWWMap.get(s, k));
      }),
      { numRuns: RUNS },
    );
  });

  it('orders keys as the writer sorts them: numbers first, then strings shortlex by UTF-8', () => {
    const keys: Key[] = [-1.5, 0, 2, '', 'b', 'z', 'aa', 'é', 'ab\u{10000}'];
    for (let i = 0; i < keys.length; i++) {
      for (let j = 0; j < keys.length; j++) {
        expect(Math.sign(compareKeys(keys[i]!, keys[j]!))).toBe(Math.sign(i - j));
      }
    }
  });

  it('blocks of 1,024 keys cost little: 20,000 keys take under 1 % more than in one block', () => {
    const s = mapOf(20_000);
    const one = blockedSnapshot(s, 1 << 30).length;
    expect(LWWMap.encodeSnapshot(s).length).toBeLessThan(one * 1.01);
  });
});
