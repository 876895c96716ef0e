import type { ByteReader } from './byte-reader.js';
import type { ByteWriter } from './byte-writer.js';

/**
 * Integer columns of snapshots, run-length encoded: a count of runs, then per run a varint and
 * its length. Plain runs repeat a value (a replica index: one value for long stretches); delta
 * runs repeat a difference from the previous element, zigzag-encoded (sequence numbers written
 * in key order step by 1, wall times by 0 or a few ms, HLC counters by 1 within a millisecond),
 * so a contiguous range of dots costs two varints however long it is.
 *
 * Delta runs take values in [0, 2^52), so that every zigzagged difference is a safe integer.
 */
export const MAX_DELTA_VALUE = 2 ** 52 - 1;

/** Bytes of `n` as a varint. */
const varintBytes = (n: number): number =>
  n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : Math.ceil(Math.log2(n + 1) / 7);

/** The runs of `values` as plain runs (`delta` false) or delta runs: their count and bytes. */
function measureRuns(values: ArrayLike<number>, delta: boolean): { runs: number; bytes: number } {
  let runs = 0;
  let bytes = 0;
  let prev = 0;
  let step = Number.NaN;
  let length = 0;
  const close = () => {
    if (length === 0) return;
    runs++;
    bytes +=
      varintBytes(delta ? (step >= 0 ? step * 2 : -step * 2 - 1) : step) + varintBytes(length);
  };
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    const d = delta ? v - prev : v;
    prev = v;
    if (d !== step) {
      close();
      step = d;
      length = 0;
    }
    length++;
  }
  close();
  return { runs, bytes };
}

/**
 * Writes `values` (safe integers ≥ 0) as plain runs or delta runs, whichever takes fewer bytes
 * (a column of distinct values alternating two steps is as many runs either way, but its steps
 * are shorter than its values); the run count's low bit says which. Delta runs need every value
 * below 2^52.
 */
export function writeRuns(w: ByteWriter, values: ArrayLike<number>): void {
  let deltaOk = true;
  for (let i = 0; i < values.length && deltaOk; i++) deltaOk = values[i]! <= MAX_DELTA_VALUE;
  const plain = measureRuns(values, false);
  const stepped = deltaOk ? measureRuns(values, true) : undefined;
  const delta = stepped !== undefined && stepped.bytes < plain.bytes;
  w.uint((delta ? stepped.runs : plain.runs) * 2 + (delta ? 1 : 0));
  let prev = 0;
  for (let i = 0; i < values.length; ) {
    const d = delta ? values[i]! - prev : values[i]!;
    let length = 1;
    prev = values[i]!;
    while (i + length < values.length) {
      const next = values[i + length]!;
      if ((delta ? next - prev : next) !== d) break;
      prev = next;
      length++;
    }
    w.uint(delta ? (d >= 0 ? d * 2 : -d * 2 - 1) : d);
    w.uint(length);
    i += length;
  }
}

/**
 * Reads a column of exactly `n` integers in [min, max] written by {@link writeRuns}.
 * @throws {DecodeError} on a run of length 0, a total other than `n`, or a value out of range.
 */
export function readRuns(r: ByteReader, n: number, min: number, max: number): Float64Array {
  const head = r.uint();
  const delta = head % 2 === 1;
  const runs = (head - (delta ? 1 : 0)) / 2;
  if (runs > n) r.fail('invariant', `${runs} runs for ${n} values`);
  r.charge(runs);
  const out = new Float64Array(n);
  let at = 0;
  let prev = 0;
  for (let k = 0; k < runs; k++) {
    const packed = r.uint();
    const d = delta ? (packed % 2 === 0 ? packed / 2 : -(packed + 1) / 2) : packed;
    const length = r.uint();
    if (length === 0 || length > n - at) r.fail('invariant', 'a run overflows its column');
    if (delta && length === 1) {
      // The common run of a column of distinct steps: one value, checked as it is.
      prev += d;
      if (prev < min || prev > max) r.fail('invariant', `a column value leaves [${min}, ${max}]`);
      out[at++] = prev;
    } else if (delta) {
      // Both ends of a run of equal steps bound every value in it.
      const first = prev + d;
      const end = prev + d * length;
      if (Math.min(first, end) < min || Math.max(first, end) > max) {
        r.fail('invariant', `a column value leaves [${min}, ${max}]`);
      }
      for (let j = 0; j < length; j++) out[at++] = prev += d;
    } else {
      if (d < min || d > max) r.fail('invariant', `a column value leaves [${min}, ${max}]`);
      out.fill(d, at, at + length);
      at += length;
    }
  }
  if (at !== n) r.fail('invariant', `a column of ${at} values where ${n} are due`);
  return out;
}

/**
 * Writes a column of `values` (safe integers ≥ 0) whose rows belong to the replicas `replica`:
 * as the zigzagged step from the previous value of the same replica (from 0 for its first), in
 * runs, when every value is below 2^52 (flag 1); else as the values themselves (flag 0). One
 * replica's sequence numbers and clock readings advance by small steps in key order even where
 * the rows of several replicas interleave, so the steps form long runs where the values jump.
 */
export function writeStepsByReplica(
  w: ByteWriter,
  values: ArrayLike<number>,
  replica: ArrayLike<number>,
  replicas: number,
): void {
  let small = true;
  for (let i = 0; i < values.length && small; i++) small = values[i]! <= MAX_DELTA_VALUE;
  w.u8(small ? 1 : 0);
  if (!small) {
    writeRuns(w, values);
    return;
  }
  const last = new Float64Array(replicas);
  const steps = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const d = values[i]! - last[replica[i]!]!;
    last[replica[i]!] = values[i]!;
    steps[i] = d >= 0 ? d * 2 : -d * 2 - 1;
  }
  writeRuns(w, steps);
}

/**
 * Reads what {@link writeStepsByReplica} wrote: `n` values in [min, max], row `i` of replica
 * `replica[i]` (each < `replicas`, checked by the caller). `last`, one zero per replica, may be
 * lent by a caller reading many columns of a large table, who zeroes the slots of `replica`
 * again after.
 */
export function readStepsByReplica(
  r: ByteReader,
  replica: Float64Array,
  replicas: number,
  min: number,
  max: number,
  last: Float64Array = new Float64Array(replicas),
): Float64Array {
  const flag = r.u8();
  if (flag > 1) r.fail('bad-tag', `a column flag is 0 or 1, not ${flag}`);
  const n = replica.length;
  if (flag === 0) return readRuns(r, n, min, max);
  const out = readRuns(r, n, 0, Number.MAX_SAFE_INTEGER);
  for (let i = 0; i < n; i++) {
    const z = out[i]!;
    const v = last[replica[i]!]! + (z % 2 === 0 ? z / 2 : -(z + 1) / 2);
    if (v < min || v > max) r.fail('invariant', `a column value leaves [${min}, ${max}]`);
    last[replica[i]!] = v;
    out[i] = v;
  }
  return out;
}
