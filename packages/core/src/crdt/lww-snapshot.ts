import { CausalContext } from '../causal/causal-context.js';
import { isAscii } from '../codec/byte-writer.js';
import { readContext, writeContext } from '../codec/replica-table.js';
import { MAX_DELTA_VALUE, writeRuns, writeStepsByReplica } from '../codec/runs.js';
import { compareUtf8, StringTableWriter, utf8 } from '../codec/string-table.js';
import { type Key, type Value, writeKey, writeValue } from '../codec/value.js';
import type { SnapshotCodec } from './crdt-type.js';
import type { DotFun } from './dot-fun.js';
import type { DotMap } from './dot-map.js';
import type { LwwEntry } from './entry-values.js';
import { LazyMap } from './lazy-map.js';
import { LazyOwners } from './lazy-owners.js';
import { LwwColumns, ValueKind } from './lww-columns.js';

type Store = DotMap<DotFun<LwwEntry>>;

/** Shortlex order of ASCII strings: their UTF-8 order ({@link compareUtf8}), without encoding. */
const shortlexAscii = (a: string, b: string): number =>
  a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;

/**
 * The keys of `store`: numbers ascending, then strings in shortlex order of their UTF-8, with
 * their UTF-8 byte lengths. Keys are ASCII nearly always: then they sort as they are, no key
 * encoded (a 100k-key snapshot would otherwise allocate 200k objects just to order its keys).
 */
function sortedKeys(store: Store): { numeric: Key[]; strings: string[]; lengths: number[] } {
  const numeric: number[] = [];
  const strings: string[] = [];
  let ascii = true;
  for (const key of store.entries.keys()) {
    if (typeof key === 'number') numeric.push(key);
    else {
      strings.push(key);
      if (ascii && !isAscii(key)) ascii = false;
    }
  }
  numeric.sort((a, b) => a - b);
  if (ascii) {
    strings.sort(shortlexAscii);
    return { numeric, strings, lengths: strings.map((s) => s.length) };
  }
  const encoded = strings.map((s) => ({ s, bytes: utf8(s) }));
  encoded.sort((a, b) => compareUtf8(a.bytes, b.bytes));
  return {
    numeric,
    strings: encoded.map((e) => e.s),
    lengths: encoded.map((e) => e.bytes.length),
  };
}

/**
 * The snapshot format of LWW-Maps (format version 2; docs/protocol.md §3.7). After the
 * header, in order:
 *
 * 1. the context, as in version 1 (replica table, then each replica's ranges);
 * 2. the number keys (count, then each), eagerly read: apps rarely use them;
 * 3. the count of string keys, then the string table (count, the UTF-8 lengths as runs, all
 *    the bytes): the string keys first, in shortlex order of their UTF-8 (so a key is found by
 *    binary search without decoding the others), then each distinct string value once;
 * 4. the keys holding more than one entry (count; per key the gap from the previous and the
 *    entries beyond one): rows are the entries, key by key;
 * 5. the row columns, each as plain or delta runs (see `writeRuns`): replica index; seq, wall
 *    time and HLC counter as steps from the same replica's previous row (`writeStepsByReplica`);
 *    then the value kinds, two per byte; then the columns of unsigned integers, of negative ones
 *    (as -1 - n) and of string indices; then the other values, each in the value encoding.
 *
 * Why columns: a map written by a few replicas has long runs of contiguous dots and of close
 * wall times, which cost a few bytes in all instead of a few per entry, and a string value
 * repeated across keys is stored once. Why lazy: opening a document to show one value should
 * not build 100k entries. Reading checks every structural rule up front (bounds, key order and
 * uniqueness, UTF-8, string indices, dots inside the context and held once), so the lazy parts
 * can never fail later, inside a merge; only the JS strings and objects are made on demand.
 */
export const lwwMapSnapshot: SnapshotCodec<DotMap<DotFun<LwwEntry>>> = {
  write(w, state) {
    const table = writeContext(w, state.context);
    const { numeric, strings, lengths } = sortedKeys(state.store);
    w.uint(numeric.length);
    for (const k of numeric) writeKey(w, k);
    w.uint(strings.length);
    const texts = new StringTableWriter(strings, lengths);
    const keys: Key[] = numeric;
    for (const k of strings) keys.push(k);
    let rows = 0;
    const stores = keys.map((k) => {
      const entries = state.store.entries.get(k)!;
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
  },
  read(r) {
    const context = new CausalContext();
    const table = readContext(r, context);
    const columns = new LwwColumns(r, table);
    const owners = new LazyOwners({
      ids: table.ids,
      dotSummary: (i) => columns.dotSummary(i),
      dotsOf: (i) => columns.dotsOf(i),
      keyAt: (i) => columns.keyAt(i),
    });
    return { context, store: { entries: new LazyMap(columns), owners } };
  },
};
