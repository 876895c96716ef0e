import { CausalContext } from '../causal/causal-context.js';
import type { ReplicaId } from '../causal/replica-id.js';
import { ByteReader } from '../codec/byte-reader.js';
import { ByteWriter } from '../codec/byte-writer.js';
import type { DecodeLimits } from '../codec/limits.js';
import { isSingleCompactTable, readContext, writeContext } from '../codec/replica-table.js';
import type { DeltaCheck } from './admission.js';
import type { ConflictDescription, ConflictScope } from './conflicts.js';
import type { DotStoreKind } from './dot-store.js';
import { type JsonValue, jsonOf } from './json-value.js';

/**
 * A replica of a CRDT: a dot store and the causal context of everything it has seen. Deltas
 * are states too, usually tiny ones. States are mutable only through {@link CrdtType.merge}.
 */
export interface CrdtState<S> {
  readonly context: CausalContext;
  store: S;
}

/**
 * What a replica tells another so that it can send exactly what is missing: the dots it has
 * seen, and the dots it still holds. A peer that has seen one of the `live` dots and dropped it
 * knows the replica has missed that removal.
 */
export interface SyncDigest {
  readonly context: CausalContext;
  readonly live: CausalContext;
}

/** Who performs a mutation: the replica whose next dot the mutation mints. */
export interface Actor {
  readonly replica: ReplicaId;
}

/**
 * Version of the encoding of deltas (and of the full states of types without a snapshot codec)
 * that {@link CrdtType.encode} writes. The first byte of every encoded state is
 * `version << 6 | singleReplica << 5 | typeId`: the flag says the replica table is one compact
 * id, which saves a byte on nearly every delta. Format 3 differs from format 1 in its stores
 * only: a collection of one entry folds its size into the entry's head, and values carry small
 * uints and short strings in their tag byte (docs/protocol.md). Bytes of format 1, which relay
 * logs and IndexedDB still hold, decode as before.
 */
export const STATE_FORMAT_VERSION = 3;
/**
 * Version of the columnar snapshot encoding of full states ({@link CrdtType.encodeSnapshot}):
 * written only by types with a {@link SnapshotCodec}; every decoder reads it.
 */
export const SNAPSHOT_FORMAT_VERSION = 2;
/**
 * In a format 2 header: the snapshot is blocked (docs/protocol.md §3.10), its rows cut into
 * blocks that decode on first use. The same bit says "single compact replica" in formats 1 and
 * 3, which a snapshot never needs; a release before blocks refuses it (`bad-version`).
 */
export const BLOCKED_SNAPSHOT_FLAG = 0x20;
const SINGLE_REPLICA_FLAG = 0x20;

/** The state formats this version decodes. */
export const READABLE_STATE_FORMATS: readonly number[] = [
  1,
  SNAPSHOT_FORMAT_VERSION,
  STATE_FORMAT_VERSION,
];

/** What a state's first byte says. */
export interface StateHeader {
  readonly typeId: number;
  /** One of {@link READABLE_STATE_FORMATS}. */
  readonly version: number;
  readonly singleReplica: boolean;
  /** A snapshot (format 2) in the blocked layout. */
  readonly blocked: boolean;
}

/**
 * Splits a state's first byte; refuses an unknown format version. Sets the reader's `format`,
 * which the store's decoders consult: a snapshot's embedded values are written as format 1
 * writes them.
 */
export function readStateHeader(r: ByteReader): StateHeader {
  const header = r.u8();
  const version = header >> 6;
  if (!READABLE_STATE_FORMATS.includes(version)) {
    r.fail(
      'bad-version',
      version === 0
        ? 'this is a delta batch or not a state'
        : `state format ${version} is not one of ${READABLE_STATE_FORMATS.join(', ')}`,
    );
  }
  const flag = (header & SINGLE_REPLICA_FLAG) !== 0;
  const snapshot = version === SNAPSHOT_FORMAT_VERSION;
  r.format = snapshot ? 1 : version;
  return {
    typeId: header & 0x1f,
    version,
    singleReplica: flag && !snapshot,
    blocked: flag && snapshot,
  };
}

/** How a snapshot is to be read: what its header says, and whether its bytes are our own. */
export interface SnapshotRead {
  /** The header's {@link BLOCKED_SNAPSHOT_FLAG}. */
  readonly blocked: boolean;
  /**
   * The bytes are this program's own, kept by its storage ({@link CrdtType.decodeStored}): a
   * blocked snapshot whose checksum matches may then leave its blocks unchecked until used.
   */
  readonly trusted: boolean;
}

/**
 * How a type writes its full states as snapshots (format version 2) and reads them back. The
 * state a reader returns may decode lazily, but must behave exactly as the eagerly decoded one
 * under every operation of the type, and must refuse malformed bytes with a `DecodeError`
 * while reading, never later, unless `trusted` said the bytes are its own.
 */
export interface SnapshotCodec<S> {
  /**
   * Writes the context and store (the header, with {@link BLOCKED_SNAPSHOT_FLAG}, and the type
   * parameters are written already).
   */
  write(w: ByteWriter, state: CrdtState<S>): void;
  read(r: ByteReader, how: SnapshotRead): CrdtState<S>;
}

/**
 * A delta-state CRDT type: one dot-store kind, a value function, and (in subclasses) mutators
 * that return deltas. All the lattice operations live here once.
 */
export abstract class CrdtType<S, V> {
  /** Registry id, written into every encoded state (1–31). */
  abstract readonly typeId: number;
  /** Human-readable name, e.g. `aw-set` or `or-map<pn-counter>`. */
  abstract readonly name: string;
  /** How the payload joins, compares and encodes. */
  abstract readonly kind: DotStoreKind<S>;

  /**
   * The value an application reads: a function of the store alone (the context only records
   * what has been seen), so a merge that leaves the store as it was leaves the value too.
   */
  abstract value(state: CrdtState<S>): V;

  /**
   * The value as JSON, the form SQL reads it in (the relay's Postgres read model): counters a
   * number, an LWW-Register its value (null before the first write), an MV-Register the array of
   * its concurrent values, sets the array of their elements (numbers ascending, then strings),
   * maps an object of their keys' values. Bytes are `{"$bytes": "<base64>"}`. The default
   * converts {@link value} with `jsonOf`; a type whose value holds other CRDTs overrides it.
   */
  toJson(state: CrdtState<S>): JsonValue {
    return jsonOf(this.value(state));
  }

  /**
   * Admission of an untrusted delta that brings something new, against the payload it would
   * join: the delta may change only what its writer's operations of this type could change
   * (a counter entry is its owner's; a register changes by one new write). Throws a
   * `ValidationError`; the default (sets: any observed entry may be removed) checks nothing.
   */
  checkDelta(_current: S, _delta: S, _check: DeltaCheck): void {}

  /**
   * Conflicts a merge left: how many values (a register, a map key) that `delta` wrote hold
   * concurrent writes side by side in `merged`, the payload after the merge. What the relay
   * counts in `helios_conflicts_total`. The default: none, as counters and sets merge
   * concurrent writes without conflict by design.
   */
  conflicts(_merged: S, _delta: S): number {
    return 0;
  }

  /**
   * The conflicts a merge left, described: what {@link conflicts} counts (concurrent register
   * writes, with the LWW winner and losers or the MV siblings), plus concurrent counter changes
   * when `scope.unseen` says which changes the delta's writer cannot have seen. Only values the
   * merge brought a fresh entry to are described (see {@link ConflictScope}). Pure: reads
   * `merged` (the payload after the merge) and `delta`, changes nothing. The default: none.
   */
  describeConflicts(_merged: S, _delta: S, _scope: ConflictScope): ConflictDescription[] {
    return [];
  }

  /**
   * The columnar codec of this type's snapshots, if it has one; types without one write their
   * snapshots in the delta format (version 1).
   */
  readonly snapshotCodec: SnapshotCodec<S> | undefined = undefined;

  /** Writes the type's parameters after its id (only parametrized types have any). */
  writeParams(_w: ByteWriter): void {}

  empty(): CrdtState<S> {
    return { context: new CausalContext(), store: this.kind.empty() };
  }

  /**
   * Joins `delta` into `target` in place: the hot path of every replica and relay. Returns
   * whether the store changed, and with it the value; the context may have grown either way.
   * A duplicate or an echo returns false, and so can a delta that only records what was seen
   * (e.g. the removal of an element this replica never had).
   */
  merge(target: CrdtState<S>, delta: CrdtState<S>): boolean {
    const changed = this.kind.merge(target.store, target.context, delta.store, delta.context);
    target.context.join(delta.context);
    return changed;
  }

  /** The least upper bound of two states, as a new state. */
  join(a: CrdtState<S>, b: CrdtState<S>): CrdtState<S> {
    const out = this.clone(a);
    this.merge(out, b);
    return out;
  }

  clone(state: CrdtState<S>): CrdtState<S> {
    return { context: state.context.clone(), store: this.kind.clone(state.store) };
  }

  equals(a: CrdtState<S>, b: CrdtState<S>): boolean {
    return a.context.equals(b.context) && this.kind.equals(a.store, b.store);
  }

  /** The dots the store still holds. */
  liveDots(state: CrdtState<S>): CausalContext {
    const live = new CausalContext();
    this.kind.forEachDot(state.store, (replica, seq) => live.add(replica, seq));
    return live;
  }

  digest(state: CrdtState<S>): SyncDigest {
    return { context: state.context.clone(), live: this.liveDots(state) };
  }

  /**
   * What a replica that sent `digest` lacks: entries it has not seen, the context it has not
   * seen, and the dots it still holds that this state has seen removed. Joining the result into
   * that replica gives the same state as joining all of `state` into it.
   */
  deltaSince(state: CrdtState<S>, digest: SyncDigest): CrdtState<S> {
    const context = state.context.subtract(digest.context);
    const removedThere = digest.live.intersect(state.context).subtract(this.liveDots(state));
    context.join(removedThere);
    return { context, store: this.kind.unseen(state.store, digest.context) };
  }

  /** Encodes a state or delta: a header naming the type, the context, the store. */
  encode(state: CrdtState<S>): Uint8Array {
    const w = new ByteWriter();
    this.writeTo(w, state);
    return w.finish();
  }

  /**
   * Encodes a full state for storage or a backfill: the columnar snapshot format (version 2, in
   * blocks) of types with a {@link snapshotCodec}, which decodes lazily; {@link encode} for the
   * others.
   * Deltas on the wire use {@link encode}: for a handful of entries, rows beat columns.
   */
  encodeSnapshot(state: CrdtState<S>): Uint8Array {
    const codec = this.snapshotCodec;
    if (codec === undefined) return this.encode(state);
    const w = new ByteWriter(1024);
    w.u8((SNAPSHOT_FORMAT_VERSION << 6) | BLOCKED_SNAPSHOT_FLAG | this.typeId);
    this.writeParams(w);
    codec.write(w, state);
    return w.finish();
  }

  writeTo(w: ByteWriter, state: CrdtState<S>): void {
    const single = isSingleCompactTable(state.context);
    w.u8((STATE_FORMAT_VERSION << 6) | (single ? SINGLE_REPLICA_FLAG : 0) | this.typeId);
    this.writeParams(w);
    const table = writeContext(w, state.context, single);
    this.kind.write(w, state.store, table);
  }

  /**
   * Decodes bytes that must hold a state of exactly this type.
   * @throws {DecodeError} on anything else, including a state of another type (`wrong-type`).
   */
  decode(bytes: Uint8Array, limits?: DecodeLimits): CrdtState<S> {
    return this.#decode(bytes, limits, false);
  }

  /**
   * Decodes a state that this program wrote and its own storage kept since (a client's
   * IndexedDB, a relay's store): as {@link decode}, except that a blocked snapshot is checked
   * against its checksum and its index only, and each block is decoded, and checked, when a key
   * of it is first read, merged or iterated over. Opening a 100k-key document to show one value
   * then costs the checksum and one block. A block that matches the checksum and still does
   * not decode (a bug of the writer, or bytes forged to imitate it) throws its `DecodeError`
   * from the first operation that reads it, and what spans blocks (their key order, a dot held
   * in two, each block's spans of dots) is taken as written. Bytes a peer sent, or anything not written
   * by this library, go through {@link decode}.
   * @throws {DecodeError} as {@link decode}; `bad-checksum` for a damaged snapshot.
   */
  decodeStored(bytes: Uint8Array): CrdtState<S> {
    return this.#decode(bytes, undefined, true);
  }

  #decode(bytes: Uint8Array, limits: DecodeLimits | undefined, trusted: boolean): CrdtState<S> {
    const r = new ByteReader(bytes, limits);
    const header = readStateHeader(r);
    if (header.typeId !== this.typeId || !this.readsOwnParams(r)) {
      r.fail('wrong-type', `this is not a ${this.name} state`);
    }
    const state = this.readBody(r, header, trusted);
    r.end();
    return state;
  }

  /**
   * Reads the parameters that follow the type id of an encoding (a state's header, a delta
   * batch's) and says whether they are this type's.
   */
  readsOwnParams(r: ByteReader): boolean {
    for (const b of this.#encodedParams()) if (r.u8() !== b) return false;
    return true;
  }

  /** The bytes of {@link writeParams}, fixed per type: computed once, not on every decode. */
  #params: Uint8Array | undefined;

  #encodedParams(): Uint8Array {
    if (this.#params === undefined) {
      const w = new ByteWriter();
      this.writeParams(w);
      this.#params = w.finish();
    }
    return this.#params;
  }

  /**
   * Reads the context and store that follow a header (and the type's parameters); `trusted` as
   * {@link decodeStored} says.
   */
  readBody(r: ByteReader, header: StateHeader, trusted = false): CrdtState<S> {
    if (header.version === SNAPSHOT_FORMAT_VERSION) {
      const codec = this.snapshotCodec;
      if (codec === undefined) r.fail('bad-version', `${this.name} has no snapshot format`);
      return codec.read(r, { blocked: header.blocked, trusted });
    }
    const context = new CausalContext();
    const table = readContext(r, context, header.singleReplica);
    const store = this.kind.read(r, table);
    return { context, store };
  }
}
