import { rangesHas } from '../causal/ranges.js';
import type { ByteReader } from '../codec/byte-reader.js';
import type { ReplicaTable } from '../codec/replica-table.js';

/**
 * Arrays of one slot per replica of a table, all zero between uses, which the blocks of one
 * snapshot share: each block's work is then per row, not per replica of the table (a map whose
 * keys each have their own writer has as many replicas as keys, and a block of 1,024 of them).
 */
export class ReplicaScratch {
  /** Per column of steps (seq, wall, counter): each replica's last value. */
  readonly steps: readonly [Float64Array, Float64Array, Float64Array];
  readonly last: Float64Array;
  readonly count: Float64Array;
  readonly max: Float64Array;
  readonly min: Float64Array;
  /** Each replica's context ranges, looked up once per use. */
  readonly ranges: (readonly number[] | undefined)[];

  constructor(replicas: number) {
    this.ranges = new Array(replicas);
    this.steps = [
      new Float64Array(replicas),
      new Float64Array(replicas),
      new Float64Array(replicas),
    ];
    this.last = new Float64Array(replicas);
    this.count = new Float64Array(replicas);
    this.max = new Float64Array(replicas);
    this.min = new Float64Array(replicas);
  }

  /** Zeroes the step slots of `replicas` (repeats allowed), as the next block needs them. */
  clearSteps(replicas: ArrayLike<number>): void {
    const [seqs, walls, counters] = this.steps;
    for (let i = 0; i < replicas.length; i++) {
      const rep = replicas[i]!;
      seqs[rep] = walls[rep] = counters[rep] = 0;
    }
  }
}

/**
 * The replicas holding dots in some rows, in order of first row, and per replica (same order)
 * how many, the lowest and the highest seq: typed arrays, not an object per replica, as a block
 * of a map whose keys each have their own writer holds a thousand.
 */
export interface HeldDots {
  readonly replica: Uint32Array;
  readonly count: Float64Array;
  readonly min: Float64Array;
  readonly max: Float64Array;
}

/**
 * Every dot of the store must be in the context and held once. Rows of one replica usually come
 * in increasing order (one writer, keys in write order): one pass proves them distinct; other
 * orders are sorted per replica first. Returns, per replica holding dots (in order of first
 * row), their count, lowest and highest seq, which that pass sees anyway: the owners index
 * answers from them until it needs the dots. Work is per row: the table's slots are `scratch`'s,
 * zero again on return.
 */
export function checkDots(
  r: ByteReader,
  table: ReplicaTable,
  replica: Float64Array,
  seq: Float64Array,
  scratch: ReplicaScratch,
): HeldDots {
  const { last, count, max, min, ranges } = scratch;
  const seen: number[] = [];
  try {
    let ordered = true;
    for (let i = 0; i < replica.length; i++) {
      const rep = replica[i]!;
      const s = seq[i]!;
      let own = ranges[rep];
      if (own === undefined) {
        own = ranges[rep] = table.context.rangesOf(table.ids[rep]!);
        seen.push(rep);
        min[rep] = s;
      }
      if (!rangesHas(own, s)) {
        r.fail('invariant', `dot ${table.ids[rep]}:${s} is outside the context`);
      }
      if (s <= last[rep]!) ordered = false;
      if (s > max[rep]!) max[rep] = s;
      if (s < min[rep]!) min[rep] = s;
      last[rep] = s;
      count[rep]!++;
    }
    if (!ordered) {
      const { order } = groupByReplica(replica, seq, table.ids.length);
      for (let k = 1; k < order.length; k++) {
        const [a, b] = [order[k - 1]!, order[k]!];
        if (replica[a] === replica[b] && seq[a] === seq[b]) {
          r.fail('invariant', `dot ${table.ids[replica[b]!]}:${seq[b]} held twice`);
        }
      }
    }
    const n = seen.length;
    const held = {
      replica: new Uint32Array(n),
      count: new Float64Array(n),
      min: new Float64Array(n),
      max: new Float64Array(n),
    };
    for (let at = 0; at < n; at++) {
      const rep = seen[at]!;
      held.replica[at] = rep;
      held.count[at] = count[rep]!;
      held.min[at] = min[rep]!;
      held.max[at] = max[rep]!;
    }
    return held;
  } finally {
    for (const rep of seen) {
      last[rep] = count[rep] = max[rep] = min[rep] = 0;
      ranges[rep] = undefined;
    }
  }
}

/**
 * The rows grouped by replica (a counting sort: `order[start[r]]` to `order[start[r + 1]]` are
 * replica r's rows), seqs ascending in each group.
 */
export function groupByReplica(
  replica: Float64Array,
  seq: Float64Array,
  replicas: number,
): { order: Uint32Array; start: Uint32Array } {
  const rows = replica.length;
  const start = new Uint32Array(replicas + 1);
  for (let row = 0; row < rows; row++) start[replica[row]! + 1]!++;
  for (let r = 0; r < replicas; r++) start[r + 1]! += start[r]!;
  const next = start.slice(0, replicas);
  const order = new Uint32Array(rows);
  for (let row = 0; row < rows; row++) order[next[replica[row]!]!++] = row;
  for (let r = 0; r < replicas; r++) {
    const group = order.subarray(start[r], start[r + 1]);
    let sorted = true;
    for (let i = 1; i < group.length && sorted; i++) sorted = seq[group[i]!]! > seq[group[i - 1]!]!;
    if (!sorted) group.sort((a, b) => seq[a]! - seq[b]!);
  }
  return { order, start };
}
