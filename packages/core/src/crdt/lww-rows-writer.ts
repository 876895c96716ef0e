import type { ByteWriter } from '../codec/byte-writer.js';
import type { EncodingTable } from '../codec/replica-table.js';
import { MAX_DELTA_VALUE, writeRuns, writeStepsByReplica } from '../codec/runs.js';
import { StringTableWriter } from '../codec/string-table.js';
import { type Key, type Value, writeKey, writeValue } from '../codec/value.js';
import type { DotFun } from './dot-fun.js';
import type { LwwEntry } from './entry-values.js';
import { ValueKind } from './lww-columns.js';

/** Some of a map's keys, in snapshot order, with where their entries are. */
export interface KeyRange {
  /** Number keys, ascending. */
  readonly numeric: readonly number[];
  /** String keys after them, in shortlex order of their UTF-8, with their UTF-8 byte lengths. */
  readonly strings: readonly string[];
  readonly lengths: readonly number[];
  readonly entriesOf: (key: Key) => DotFun<LwwEntry>;
}

/**
 * Per replica index holding dots in the written rows: how many, their lowest and highest seq;
 * what a blocked snapshot's index says of each block, so that a merge finds the block of a dot,
 * or knows it is fresh, without decoding the others.
 */
export type DotSpans = Map<number, { count: number; min: number; max: number }>;

/**
 * Writes the keys of `range` and their entries as the rows of a snapshot (docs/protocol.md §3.9,
 * from the number keys to the values in the value encoding), the part {@link LwwColumns} reads:
 * a format 2 snapshot's whole store, or one block of a blocked one. Adds each row's dot to
 * `spans`.
 */
export function writeLwwRows(
  w: ByteWriter,
  table: EncodingTable,
  range: KeyRange,
  spans: DotSpans,
): void {
  const { numeric, strings, lengths } = range;
  w.uint(numeric.length);
  for (const k of numeric) writeKey(w, k);
  w.uint(strings.length);
  const texts = new StringTableWriter(strings, lengths);
  const keys: Key[] = [...numeric, ...strings];
  let rows = 0;
  const stores = keys.map((k) => {
    const entries = range.entriesOf(k);
    rows += entries.length;
    return entries;
  });
  const multi: number[] = [];
  const replica = new Float64Array(rows);
  const seq = new Float64Array(rows);
  const wall = new Float64Array(rows);
  const counter = new Float64Array(rows);
  const kinds = new Uint8Array(Math.ceil(rows / 2));
  const uints: number[] = [];
  const negs: number[] = [];
  const stringIndex: number[] = [];
  const others: Value[] = [];
  let row = 0;
  // Rows come in runs of one writer: look its index up once per run.
  let lastReplica: string | undefined;
  let lastIndex = 0;
  for (let i = 0; i < stores.length; i++) {
    const entries = stores[i]!;
    if (entries.length > 1) multi.push(i, entries.length - 2);
    for (const e of entries) {
      if (e.replica !== lastReplica) {
        lastReplica = e.replica;
        lastIndex = table.index.get(e.replica)!;
      }
      replica[row] = lastIndex;
      seq[row] = e.seq;
      const span = spans.get(lastIndex);
      if (span === undefined) spans.set(lastIndex, { count: 1, min: e.seq, max: e.seq });
      else {
        span.count++;
        if (e.seq < span.min) span.min = e.seq;
        if (e.seq > span.max) span.max = e.seq;
      }
      wall[row] = e.value.wall;
      counter[row] = e.value.counter;
      const v = e.value.value;
      let kind: number = ValueKind.other;
      if (v === null) kind = ValueKind.null;
      else if (v === false) kind = ValueKind.false;
      else if (v === true) kind = ValueKind.true;
      else if (typeof v === 'string') {
        kind = ValueKind.string;
        stringIndex.push(texts.intern(v));
      } else if (typeof v === 'number' && Number.isInteger(v) && !Object.is(v, -0)) {
        if (v >= 0 && v <= MAX_DELTA_VALUE) {
          kind = ValueKind.uint;
          uints.push(v);
        } else if (v < 0 && -v - 1 <= MAX_DELTA_VALUE) {
          kind = ValueKind.negInt;
          negs.push(-v - 1);
        }
      }
      if (kind === ValueKind.other) others.push(v);
      kinds[row >> 1]! |= kind << ((row & 1) * 4);
      row++;
    }
  }
  texts.write(w);
  w.uint(multi.length / 2);
  let prev = -1;
  for (let k = 0; k < multi.length; k += 2) {
    w.uint(multi[k]! - prev - 1);
    w.uint(multi[k + 1]!);
    prev = multi[k]!;
  }
  const replicas = table.ids.length;
  writeRuns(w, replica);
  writeStepsByReplica(w, seq, replica, replicas);
  writeStepsByReplica(w, wall, replica, replicas);
  writeStepsByReplica(w, counter, replica, replicas);
  w.bytes(kinds);
  writeRuns(w, uints);
  writeRuns(w, negs);
  writeRuns(w, stringIndex);
  for (const v of others) writeValue(w, v);
}
