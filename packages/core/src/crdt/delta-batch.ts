import { CausalContext } from '../causal/causal-context.js';
import type { ReplicaId } from '../causal/replica-id.js';
import { ByteReader } from '../codec/byte-reader.js';
import { ByteWriter } from '../codec/byte-writer.js';
import type { DecodeLimits } from '../codec/limits.js';
import {
  readRanges,
  readReplicaIds,
  writeRanges,
  writeReplicaIds,
} from '../codec/replica-table.js';
import {
  type CrdtState,
  type CrdtType,
  READABLE_STATE_FORMATS,
  SNAPSHOT_FORMAT_VERSION,
  STATE_FORMAT_VERSION,
} from './crdt-type.js';
import { type AnyCrdtState, type AnyCrdtType, readType } from './registry.js';

/**
 * Version of the encoding of delta batches, written after the batch's first byte. That first
 * byte is the type id with the top two bits 0, which no encoded state has (a state's top bits
 * hold its format version, 1 or more): a batch is never taken for a state, nor a state for a
 * batch.
 */
export const DELTA_BATCH_FORMAT_VERSION = 1;

/**
 * Encodes deltas of one type as one batch: the type once, one table of every replica id the
 * deltas name, then each delta as its context (replicas by their index in that table) and its
 * store, exactly as {@link CrdtType.encode} writes them (state format {@link STATE_FORMAT_VERSION}). A batch of many writers' deltas (a
 * relay's feed page, a backfill page) so names each writer once, and decoding it builds each
 * id string once instead of once per delta.
 *
 * Layout: `u8 typeId` (top bits 0), `u8` batch format version, `u8` the state format its deltas
 * are written in, the type's parameters, the replica table as in
 * a state (count doubled plus a compact flag, then the ids), `uint` delta count, and per delta
 * `uint` replica count, per replica `uint` table index and its context ranges, then the store.
 */
export function encodeDeltaBatch<S>(
  type: CrdtType<S, unknown>,
  deltas: readonly CrdtState<S>[],
): Uint8Array {
  const w = new ByteWriter(64 + deltas.length * 32);
  w.u8(type.typeId);
  w.u8(DELTA_BATCH_FORMAT_VERSION);
  w.u8(STATE_FORMAT_VERSION);
  type.writeParams(w);
  const shared = new Map<ReplicaId, number>();
  for (const d of deltas) {
    for (const id of d.context.replicas()) if (!shared.has(id)) shared.set(id, shared.size);
  }
  writeReplicaIds(w, [...shared.keys()]);
  w.uint(deltas.length);
  for (const d of deltas) {
    const ids = [...d.context.replicas()];
    const index = new Map<ReplicaId, number>();
    const max: number[] = [];
    w.uint(ids.length);
    ids.forEach((id, i) => {
      index.set(id, i);
      w.uint(shared.get(id)!);
      max.push(writeRanges(w, d.context.rangesOf(id)));
    });
    type.kind.write(w, d.store, { ids, index, max, context: d.context });
  }
  return w.finish();
}

/** Reads a batch's first three bytes; returns the type id. */
function readBatchHeader(r: ByteReader): number {
  const head = r.u8();
  if (head >> 5 !== 0) {
    r.fail(
      'bad-version',
      head >> 6 !== 0 ? 'this is an encoded state, not a delta batch' : 'bad batch header',
    );
  }
  const version = r.u8();
  if (version !== DELTA_BATCH_FORMAT_VERSION) {
    r.fail('bad-version', `delta batch format ${version} is not ${DELTA_BATCH_FORMAT_VERSION}`);
  }
  const format = r.u8();
  // Deltas are written in a row format; the snapshot format is for full states at rest.
  if (format === SNAPSHOT_FORMAT_VERSION || !READABLE_STATE_FORMATS.includes(format)) {
    r.fail('bad-version', `deltas of state format ${format} cannot be read`);
  }
  r.format = format;
  return head;
}

/** Reads the deltas that follow a batch's type: every check of a single delta's decode holds. */
function readDeltas<S>(r: ByteReader, type: CrdtType<S, unknown>): CrdtState<S>[] {
  const shared = readReplicaIds(r);
  // Each delta takes at least its replica count byte.
  const n = r.length(1);
  const out: CrdtState<S>[] = new Array(n);
  for (let i = 0; i < n; i++) {
    // Each replica takes at least an index, a highest sequence and a range.
    const k = r.length(3);
    const context = new CausalContext();
    const ids: ReplicaId[] = new Array(k);
    const max: number[] = new Array(k);
    for (let j = 0; j < k; j++) {
      const at = r.uint();
      if (at >= shared.length) r.fail('invariant', `replica index ${at} is not in the table`);
      const id = shared[at]!;
      if (context.max(id) > 0) r.fail('invariant', `replica ${id} listed twice`);
      ids[j] = id;
      max[j] = readRanges(r, context, id);
    }
    out[i] = { context, store: type.kind.read(r, { ids, max, context }) };
  }
  r.end();
  return out;
}

/**
 * Decodes a batch that must hold deltas of exactly `type`, in the order they were encoded. Each
 * delta is checked as {@link CrdtType.decode} checks one (dots inside its context, no dot
 * twice, every invariant of the store); admission (`validateDelta`, `checkDelta`) then applies
 * to each decoded delta as to a single one.
 * @throws {DecodeError} on malformed bytes, or a batch of another type (`wrong-type`).
 */
export function decodeDeltaBatch<S>(
  type: CrdtType<S, unknown>,
  bytes: Uint8Array,
  limits?: DecodeLimits,
): CrdtState<S>[] {
  const r = new ByteReader(bytes, limits);
  if (readBatchHeader(r) !== type.typeId || !type.readsOwnParams(r)) {
    r.fail('wrong-type', `this is not a batch of ${type.name} deltas`);
  }
  return readDeltas(r, type);
}

/** A decoded batch together with the type its header named. */
export interface DecodedDeltaBatch {
  readonly type: AnyCrdtType;
  readonly deltas: AnyCrdtState[];
}

/**
 * Decodes a batch of whatever registered type its header names, as a relay holds documents
 * whose schema it does not know.
 * @throws {DecodeError} on malformed bytes or an unknown type.
 */
export function decodeAnyDeltaBatch(bytes: Uint8Array, limits?: DecodeLimits): DecodedDeltaBatch {
  const r = new ByteReader(bytes, limits);
  const type = readType(r, readBatchHeader(r));
  return { type, deltas: readDeltas(r, type) };
}

/**
 * Decodes a batch and merges its deltas into `target` in order: the same state as merging each
 * delta decoded on its own. The whole batch is decoded before anything is merged, so a malformed
 * batch throws and leaves `target` as it was. Returns whether the store changed.
 * @throws {DecodeError} as {@link decodeDeltaBatch}.
 */
export function mergeDeltaBatch<S>(
  type: CrdtType<S, unknown>,
  target: CrdtState<S>,
  bytes: Uint8Array,
  limits?: DecodeLimits,
): boolean {
  let changed = false;
  for (const delta of decodeDeltaBatch(type, bytes, limits)) {
    if (type.merge(target, delta)) changed = true;
  }
  return changed;
}
