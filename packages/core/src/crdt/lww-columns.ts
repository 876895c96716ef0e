import { MAX_SEQ } from '../causal/dot.js';
import type { ReplicaId } from '../causal/replica-id.js';
import type { ByteReader } from '../codec/byte-reader.js';
import type { ReplicaTable } from '../codec/replica-table.js';
import { MAX_DELTA_VALUE, readRuns, readStepsByReplica } from '../codec/runs.js';
import { StringTable, utf8 } from '../codec/string-table.js';
import { type Key, readKey, readValue, type Value } from '../codec/value.js';
import type { DotEntry, DotFun } from './dot-fun.js';
import type { LwwEntry } from './entry-values.js';
import { checkDots, groupByReplica, type HeldDots, ReplicaScratch } from './held-dots.js';
import type { MapSource } from './lazy-map.js';
import {
  bySeqSource,
  type DotsOfReplica,
  type DotsSource,
  type OwnerSource,
} from './lazy-owners.js';

/**
 * How a snapshot row holds its value: the constants inline, small integers and strings in
 * columns of their own, anything else (floats, bytes, arrays, objects) in the value encoding.
 */
export const ValueKind = {
  null: 0,
  false: 1,
  true: 2,
  uint: 3,
  negInt: 4,
  string: 5,
  other: 6,
} as const;

/**
 * The rows of an LWW-Map snapshot, checked in full and decoded into typed arrays; keys and
 * string values stay UTF-8 until asked for. Row `r` is one register entry: its dot
 * (`replica[r]`, `seq[r]`), its time (`wall[r]`, `counter[r]`) and its value (`kind[r]`, the
 * `slot[r]`-th of its kind's column). Key `i` holds rows `rowStart(i)` to `rowStart(i + 1)`.
 */
export class LwwColumns implements MapSource<Key, DotFun<LwwEntry>>, OwnerSource, DotsSource {
  readonly size: number;
  /** The snapshot's replica table. */
  readonly ids: readonly ReplicaId[];
  readonly #numeric: readonly number[];
  readonly #numericIndex: ReadonlyMap<number, number>;
  readonly #strings: StringTable;
  readonly #stringKeys: number;
  /** First row of each key (and the end), or undefined when each key holds one row. */
  readonly #rowStart: Uint32Array | undefined;
  readonly #replica: Float64Array;
  readonly #seq: Float64Array;
  readonly #wall: Float64Array;
  readonly #counter: Float64Array;
  readonly #kind: Uint8Array;
  readonly #slot: Uint32Array;
  readonly #uints: Float64Array;
  readonly #negs: Float64Array;
  readonly #stringIndex: Float64Array;
  readonly #others: readonly Value[];
  /** Which key holds each dot, for the owners index: made when a merge first asks. */
  #dots: { seqs: Float64Array; keys: Uint32Array; start: Uint32Array } | undefined;
  /** The replicas holding dots here, with their count, lowest and highest seq. */
  readonly held: HeldDots;
  /** Where each replica is in `held`: made when a lookup first asks. */
  #heldAt: Map<number, number> | undefined;

  /**
   * Reads the rows after the context; refuses anything a store may not hold. `scratch` may be
   * lent by a reader of many blocks of one table.
   */
  constructor(
    r: ByteReader,
    table: ReplicaTable,
    scratch: ReplicaScratch = new ReplicaScratch(table.ids.length),
  ) {
    this.ids = table.ids;
    const numeric: number[] = [];
    const numericIndex = new Map<number, number>();
    const nNumeric = r.length(2);
    for (let i = 0; i < nNumeric; i++) {
      const key = readKey(r);
      if (typeof key !== 'number') r.fail('invariant', 'a string key among number keys');
      // Ascending, as written: a blocked snapshot finds a key's block by its first key.
      if (i > 0 && !(key > numeric[i - 1]!)) r.fail('invariant', `number key ${key} out of order`);
      // A Map holds -0 as 0; so does this.
      numeric.push(key === 0 ? 0 : key);
      numericIndex.set(key, i);
    }
    this.#numeric = numeric;
    this.#numericIndex = numericIndex;
    const stringKeys = r.uint();
    this.#strings = new StringTable(r, stringKeys);
    this.#stringKeys = stringKeys;
    const keys = nNumeric + stringKeys;
    this.size = keys;

    // Keys holding more than one entry (concurrent writes): each a gap from the previous one
    // and its count of entries beyond the first.
    const multi = r.length(2);
    let rows = keys;
    if (multi > 0) {
      const extra = new Uint32Array(keys);
      let key = -1;
      for (let k = 0; k < multi; k++) {
        key += 1 + r.uint();
        if (key >= keys) r.fail('invariant', 'an entry count for a key past the last');
        const n = 1 + r.uint();
        r.charge(n);
        extra[key] = n;
        rows += n;
      }
      const start = new Uint32Array(keys + 1);
      for (let i = 0; i < keys; i++) start[i + 1] = start[i]! + 1 + extra[i]!;
      this.#rowStart = start;
    }
    r.charge(keys);
    // Runs make long columns cheap, but every row has half a byte of value kind: a row count
    // the input cannot hold is refused before any column is allocated.
    if (Math.ceil(rows / 2) > r.remaining) r.fail('truncated', `${rows} rows do not fit the input`);

    const replicas = table.ids.length;
    const replica = readRuns(r, rows, 0, replicas - 1);
    this.#replica = replica;
    // The lent slots are zeroed again after: by the replicas seen, or, on a throw, by the rows.
    const [seqs, walls, counters] = scratch.steps;
    try {
      this.#seq = readStepsByReplica(r, replica, replicas, 1, MAX_SEQ, seqs);
      this.#wall = readStepsByReplica(r, replica, replicas, 0, MAX_DELTA_VALUE, walls);
      this.#counter = readStepsByReplica(
        r,
        replica,
        replicas,
        0,
        Number.MAX_SAFE_INTEGER,
        counters,
      );
      this.held = checkDots(r, table, this.#replica, this.#seq, scratch);
    } catch (err) {
      scratch.clearSteps(replica);
      throw err;
    }
    scratch.clearSteps(this.held.replica);

    const packed = r.bytes(Math.ceil(rows / 2));
    const kind = new Uint8Array(rows);
    const slot = new Uint32Array(rows);
    const counts = [0, 0, 0, 0, 0, 0, 0];
    for (let i = 0; i < rows; i++) {
      const k = (packed[i >> 1]! >> ((i & 1) * 4)) & 0xf;
      if (k > ValueKind.other) r.fail('bad-tag', `value kind ${k}`);
      kind[i] = k;
      slot[i] = counts[k]!++;
    }
    if (rows % 2 === 1 && packed[rows >> 1]! >> 4 !== 0) r.fail('invariant', 'a stray value kind');
    this.#kind = kind;
    this.#slot = slot;
    this.#uints = readRuns(r, counts[ValueKind.uint]!, 0, MAX_DELTA_VALUE);
    this.#negs = readRuns(r, counts[ValueKind.negInt]!, 0, MAX_DELTA_VALUE);
    this.#stringIndex = readRuns(r, counts[ValueKind.string]!, 0, this.#strings.size - 1);
    const others: Value[] = [];
    for (let i = counts[ValueKind.other]!; i > 0; i--) others.push(r.nested(() => readValue(r)));
    this.#others = others;
  }

  find(key: Key): number {
    if (typeof key === 'number') return this.#numericIndex.get(key) ?? -1;
    const i = this.#strings.find(utf8(key), this.#stringKeys);
    return i < 0 ? -1 : this.#numeric.length + i;
  }

  keyAt(index: number): Key {
    const n = this.#numeric.length;
    return index < n ? this.#numeric[index]! : this.#strings.at(index - n);
  }

  valueAt(index: number): DotFun<LwwEntry> {
    const start = this.#rowStart;
    const from = start === undefined ? index : start[index]!;
    const to = start === undefined ? index + 1 : start[index + 1]!;
    if (to === from + 1) return [this.#entryAt(from)];
    const out: DotFun<LwwEntry> = [];
    for (let row = from; row < to; row++) out.push(this.#entryAt(row));
    return out;
  }

  /** How many dots replica `r` holds here, and the highest of their seqs (0 for none). */
  dotSummary(r: number): { count: number; maxSeq: number } {
    const at = this.#positionOf(r);
    return at < 0
      ? { count: 0, maxSeq: 0 }
      : { count: this.held.count[at]!, maxSeq: this.held.max[at]! };
  }

  bySeq(r: number): MapSource<number, Key> {
    return bySeqSource(r, this);
  }

  /** The lowest seq replica `r` holds here (0 for none): with the highest, its dots' span. */
  minSeq(r: number): number {
    const at = this.#positionOf(r);
    return at < 0 ? 0 : this.held.min[at]!;
  }

  /** Where replica `r` is in {@link held}, or -1. */
  #positionOf(r: number): number {
    if (this.#heldAt === undefined) {
      const heldAt = new Map<number, number>();
      this.held.replica.forEach((replica, at) => {
        heldAt.set(replica, at);
      });
      this.#heldAt = heldAt;
    }
    return this.#heldAt.get(r) ?? -1;
  }

  /** The dots replica `r` holds here, seqs ascending, each with the index of its key. */
  dotsOf(r: number): DotsOfReplica {
    this.#dots ??= this.#dotsByReplica();
    const { seqs, keys, start } = this.#dots;
    return {
      seqs: seqs.subarray(start[r], start[r + 1]),
      keys: keys.subarray(start[r], start[r + 1]),
    };
  }

  /** Every row's dot and key, grouped by replica, seqs ascending in each. */
  #dotsByReplica(): { seqs: Float64Array; keys: Uint32Array; start: Uint32Array } {
    const seq = this.#seq;
    const { order, start } = groupByReplica(this.#replica, seq, this.ids.length);
    const rowStart = this.#rowStart;
    const seqs = new Float64Array(order.length);
    const keys = new Uint32Array(order.length);
    for (let i = 0; i < order.length; i++) {
      const row = order[i]!;
      seqs[i] = seq[row]!;
      keys[i] = rowStart === undefined ? row : rangeHolding(rowStart, row);
    }
    return { seqs, keys, start };
  }

  #entryAt(row: number): DotEntry<LwwEntry> {
    return {
      replica: this.ids[this.#replica[row]!]!,
      seq: this.#seq[row]!,
      value: { wall: this.#wall[row]!, counter: this.#counter[row]!, value: this.#valueAt(row) },
    };
  }

  #valueAt(row: number): Value {
    const slot = this.#slot[row]!;
    switch (this.#kind[row]) {
      case ValueKind.null:
        return null;
      case ValueKind.false:
        return false;
      case ValueKind.true:
        return true;
      case ValueKind.uint:
        return this.#uints[slot]!;
      case ValueKind.negInt:
        return -this.#negs[slot]! - 1;
      case ValueKind.string:
        return this.#strings.at(this.#stringIndex[slot]!);
      default:
        return this.#others[slot]!;
    }
  }
}

/**
 * Which of the consecutive ranges `start` marks (range i is [start[i], start[i + 1]), the last
 * entry only ends the last range) holds `at`: the last range starting at or before it. A key's
 * rows, a block's keys.
 */
export function rangeHolding(start: Uint32Array, at: number): number {
  let lo = 0;
  let hi = start.length - 2;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (start[mid]! <= at) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
