import type { CausalContext } from '../causal/causal-context.js';
import { MAX_SEQ } from '../causal/dot.js';
import { EPOCH_ID_LENGTH, isEpochReplicaId } from '../causal/replica-epoch.js';
import { isCompactReplicaId, MAX_REPLICA_ID_LENGTH, type ReplicaId } from '../causal/replica-id.js';
import type { ByteReader } from './byte-reader.js';
import type { ByteWriter } from './byte-writer.js';

/**
 * The replica ids of one encoded state, written once and referred to by index. Because every
 * dot of a store is in the state's causal context, the context's replicas are the whole table.
 * Dot sequences are written as offsets below each replica's highest sequence, which is the
 * newest event and so the most likely to appear in a delta: usually one byte.
 *
 * Ids are written as 7 bytes each when all are compact (14 hex digits), else each as a
 * length-prefixed string, except epoch ids (20 hex digits): a length 0, then 10 bytes.
 */
export interface ReplicaTable {
  readonly ids: readonly ReplicaId[];
  readonly max: readonly number[];
  readonly context: CausalContext;
}

/** A table being written: it also finds a replica's index. */
export interface EncodingTable extends ReplicaTable {
  readonly index: ReadonlyMap<ReplicaId, number>;
}

/** Two lowercase hex digits per byte value, for compact replica ids. */
const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));
/** The char codes of {@link HEX}: a compact id is built flat in one call, not by concatenation. */
const HEX_CODES = HEX.map((h) => [h.charCodeAt(0), h.charCodeAt(1)] as const);

/** Value of the hex digit at `i` of a compact id (0-9, a-f: checked by isCompactReplicaId). */
function hexValue(id: string, i: number): number {
  const c = id.charCodeAt(i);
  return c <= 57 ? c - 48 : c - 87;
}

/** Writes a compact or epoch id's hex digits as bytes. */
function writeHex(w: ByteWriter, id: ReplicaId): void {
  for (let i = 0; i < id.length; i += 2) w.u8((hexValue(id, i) << 4) | hexValue(id, i + 1));
}

function readHex(r: ByteReader, bytes: number): ReplicaId {
  let id = '';
  for (let j = 0; j < bytes; j++) id += HEX[r.u8()]!;
  return id;
}

/**
 * True when the table is a single compact id: the state header then says so with a flag bit
 * instead of a count byte (most deltas come from one replica).
 */
export function isSingleCompactTable(context: CausalContext): boolean {
  let n = 0;
  for (const id of context.replicas()) if (++n > 1 || !isCompactReplicaId(id)) return false;
  return n === 1;
}

/**
 * Writes a list of replica ids: their count doubled plus one when every id is compact (then
 * 7 bytes each), else length-prefixed strings. With `implicitSingle`, the caller has already
 * flagged a list of one compact id and the count is left out.
 */
export function writeReplicaIds(
  w: ByteWriter,
  ids: readonly ReplicaId[],
  implicitSingle = false,
): void {
  const compact = ids.every(isCompactReplicaId);
  if (!implicitSingle) w.uint(ids.length * 2 + (compact ? 1 : 0));
  for (const id of ids) {
    if (compact) {
      writeHex(w, id);
    } else if (isEpochReplicaId(id)) {
      // An empty string is no replica id, so its length, 0, says that raw bytes follow.
      w.u8(0);
      writeHex(w, id);
    } else {
      w.string(id);
    }
  }
}

/** Reads what {@link writeReplicaIds} wrote, refusing malformed and duplicate ids. */
export function readReplicaIds(r: ByteReader, implicitSingle = false): ReplicaId[] {
  const head = implicitSingle ? 3 : r.uint();
  const compact = head % 2 === 1;
  const n = Math.floor(head / 2);
  if (n * (compact ? 7 : 2) > r.remaining) r.fail('truncated', `a table of ${n} replicas`);
  r.charge(n);
  const ids: ReplicaId[] = new Array(n);
  const seen = n > 1 ? new Set<ReplicaId>() : undefined;
  // Read in place: a subarray per decoded delta cost more than the ids themselves.
  const start = compact ? r.skip(7 * n) : -1;
  const packed = r.input;
  for (let i = 0; i < n; i++) {
    let id: string;
    if (start >= 0) {
      const at = start + 7 * i;
      const b0 = HEX_CODES[packed[at]!]!;
      const b1 = HEX_CODES[packed[at + 1]!]!;
      const b2 = HEX_CODES[packed[at + 2]!]!;
      const b3 = HEX_CODES[packed[at + 3]!]!;
      const b4 = HEX_CODES[packed[at + 4]!]!;
      const b5 = HEX_CODES[packed[at + 5]!]!;
      const b6 = HEX_CODES[packed[at + 6]!]!;
      id = String.fromCharCode(
        b0[0],
        b0[1],
        b1[0],
        b1[1],
        b2[0],
        b2[1],
        b3[0],
        b3[1],
        b4[0],
        b4[1],
        b5[0],
        b5[1],
        b6[0],
        b6[1],
      );
    } else {
      const length = r.uint();
      id = length === 0 ? readHex(r, EPOCH_ID_LENGTH / 2) : r.stringOfLength(length);
      if (id.length > MAX_REPLICA_ID_LENGTH) r.fail('invariant', 'replica id is too long');
    }
    if (seen !== undefined) {
      if (seen.has(id)) r.fail('invariant', `replica ${id} listed twice`);
      seen.add(id);
    }
    ids[i] = id;
  }
  return ids;
}

/**
 * Writes one replica's ranges from the top down: the highest sequence, then per range its
 * length and whether another range follows below (low bit), then the gap to it. The lowest
 * range says instead, in its second bit, whether it gives its start minus one rather than its
 * length: the version-vector range [1, n] then costs one byte, however long the history.
 * Returns the highest sequence, the base of the store's dot offsets.
 */
export function writeRanges(w: ByteWriter, r: readonly number[]): number {
  let i = r.length - 2;
  const max = r[i + 1]!;
  w.uint(max);
  for (; i > 0; i -= 2) {
    w.uint((r[i + 1]! - r[i]!) * 2 + 1);
    w.uint(r[i]! - r[i - 1]! - 2);
  }
  const length = r[1]! - r[0]!;
  w.uint(r[0]! - 1 < length ? (r[0]! - 1) * 4 + 2 : length * 4);
  return max;
}

/** Reads one replica's ranges into `context`; returns the highest sequence. */
export function readRanges(r: ByteReader, context: CausalContext, id: ReplicaId): number {
  let end = r.uint();
  if (end < 1 || end > MAX_SEQ) r.fail('invariant', `sequence ${end} out of range`);
  const max = end;
  // Most contexts hold one range per replica: added at once, without collecting.
  let ranges: number[] | undefined;
  for (;;) {
    r.charge(1);
    const packed = r.uint();
    const more = packed % 2 === 1;
    const start = more
      ? end - (packed - 1) / 2
      : packed % 4 === 2
        ? 1 + (packed - 2) / 4
        : end - packed / 4;
    if (start < 1) r.fail('invariant', 'a context range starts below 1');
    if (start > end) r.fail('invariant', 'a context range starts after its end');
    if (!more && ranges === undefined) {
      context.addRange(id, start, end);
      return max;
    }
    ranges ??= [];
    ranges.push(start, end);
    if (!more) break;
    end = start - 2 - r.uint();
    if (end < 1) r.fail('invariant', 'a context range ends below 1');
  }
  for (let i = ranges.length - 2; i >= 0; i -= 2) context.addRange(id, ranges[i]!, ranges[i + 1]!);
  return max;
}

/**
 * Writes the table and the context; returns the table for the store's encoder. With
 * `implicitSingle`, the caller has already flagged a table of one compact id.
 */
export function writeContext(
  w: ByteWriter,
  context: CausalContext,
  implicitSingle = false,
): EncodingTable {
  const ids = [...context.replicas()];
  writeReplicaIds(w, ids, implicitSingle);
  const index = new Map<ReplicaId, number>();
  const max: number[] = [];
  ids.forEach((id, i) => {
    index.set(id, i);
    max.push(writeRanges(w, context.rangesOf(id)));
  });
  return { ids, index, max, context };
}

export function readContext(
  r: ByteReader,
  context: CausalContext,
  implicitSingle = false,
): ReplicaTable {
  const ids = readReplicaIds(r, implicitSingle);
  const max: number[] = new Array(ids.length);
  for (let i = 0; i < ids.length; i++) max[i] = readRanges(r, context, ids[i]!);
  return { ids, max, context };
}

/**
 * Writes a dot of the store relative to the table: its replica's index when the table has
 * several, then its offset below that replica's highest sequence. As the only entry of its
 * collection, its first varint is written doubled plus one: that collection's size (see
 * `writeSizeHead`).
 */
export function writeDot(
  w: ByteWriter,
  t: EncodingTable,
  replica: ReplicaId,
  seq: number,
  onlyEntry = false,
): void {
  const i = t.index.get(replica)!;
  const offset = t.max[i]! - seq;
  if (t.ids.length > 1) {
    w.uint(onlyEntry ? i * 2 + 1 : i);
    w.uint(offset);
  } else {
    w.uint(onlyEntry ? offset * 2 + 1 : offset);
  }
}

/**
 * Reads a dot and checks that the context covers it, so no store holds an unseen dot. `head`
 * is its first varint when the caller has read it already.
 */
export function readDot(
  r: ByteReader,
  t: ReplicaTable,
  head: number = r.uint(),
): { replica: ReplicaId; seq: number } {
  const many = t.ids.length > 1;
  const i = many ? head : 0;
  if (i >= t.ids.length) r.fail('invariant', `replica index ${i} is not in the table`);
  const replica = t.ids[i]!;
  // A retired replica's entries live on only in the fold: one beside it would count twice.
  if (t.context.isRetired(replica)) r.fail('invariant', `replica ${replica} is retired`);
  const seq = t.max[i]! - (many ? r.uint() : head);
  if (!t.context.has(replica, seq))
    r.fail('invariant', `dot ${replica}:${seq} is outside the context`);
  return { replica, seq };
}
