import { rangesInclude } from '../causal/ranges.js';
import type { ReplicaId } from '../causal/replica-id.js';
import { HLC_MAX_FUTURE_DRIFT_MS } from '../clock/hybrid-logical-clock.js';
import type { DecodeLimits } from '../codec/limits.js';
import { type CrdtState, type CrdtType, SNAPSHOT_FORMAT_VERSION } from '../crdt/crdt-type.js';
import { decodeState } from '../crdt/registry.js';
import { DecodeError, ValidationError } from '../errors.js';

/** The limits a receiver puts on deltas from one sender. */
export interface ValidationRules {
  /** The replica ids the sender may mint dots for (those bound to its connection). */
  readonly replicas: ReadonlySet<ReplicaId>;
  /** Largest amount one delta may add to a counter entry. Default 2^32. */
  readonly maxCounterStep?: number;
  /** Largest lead of an LWW timestamp over `now()`, in ms. Default one minute. */
  readonly maxDriftMs?: number;
  /** The receiver's clock, in ms (with any offset applied). Default `Date.now`. */
  readonly now?: () => number;
}

export const DEFAULT_MAX_COUNTER_STEP = 2 ** 32;

/**
 * What an admitted delta is: a `replay` (a retransmission) brings no dot the receiver lacks and
 * removes nothing, so merging it changes nothing and it need not be stored or sent on; any other
 * is a `write`.
 */
export type Admitted = 'write' | 'replay';

/**
 * Checks an untrusted delta from one writer against the state it would be merged into, before
 * the merge. Nothing is changed; the first broken rule throws a {@link ValidationError} naming
 * it. What a delta adds is checked, and so is what it removes (its causal context):
 *
 * - `no-replica`: the writer is bound to no replica id, so nothing it writes could be attributed;
 * - `foreign-dot`: the store holds a dot of a replica the writer is not bound to (even one the
 *   receiver has seen: a writer only ever sends its own writes);
 * - `replica-retired`: the store holds a dot of a replica a fold of the document retired (its
 *   writer must write as a new replica: see docs/compaction.md);
 * - `unknown-context`: the context claims dots of another replica that the receiver has never
 *   seen (it would erase that replica's future writes);
 * - `dot-conflict`: a dot the receiver holds arrives with other content (dots are unique);
 * - `unattributed`: no dot of the delta is the writer's, so nothing would tell who made it;
 * - then the type's own rule ({@link CrdtType.checkDelta}): `foreign-removal`, `counter-decrease`,
 *   `counter-increment` for counters, `register-write` for registers, `clock-drift` for LWW.
 *
 * Returns whether the delta is a new write or a harmless replay.
 */
export function validateDelta<S>(
  type: CrdtType<S, unknown>,
  current: CrdtState<S>,
  delta: CrdtState<S>,
  rules: ValidationRules,
): Admitted {
  const own = rules.replicas;
  if (own.size === 0) {
    throw new ValidationError('no-replica', 'this connection announced no replica id to write as');
  }
  // Store dots first: a forged write also puts its dot in the context, and must be reported as
  // the forgery it is, not as an unknown context (which would make this rule unreachable).
  type.kind.forEachDot(delta.store, (replica) => {
    if (!own.has(replica)) {
      throw new ValidationError(
        'foreign-dot',
        `the delta writes as replica ${replica}, which this connection is not bound to`,
      );
    }
    // Folded: every dot of it counts as seen here, so a new write would merge as nothing.
    if (current.context.isRetired(replica)) {
      throw new ValidationError(
        'replica-retired',
        `replica ${replica} is retired in this document: write as a replica of a current epoch`,
      );
    }
  });
  let fresh = false;
  let attributed = false;
  for (const replica of delta.context.replicas()) {
    if (own.has(replica)) attributed = true;
    if (rangesInclude(current.context.rangesOf(replica), delta.context.rangesOf(replica))) continue;
    if (!own.has(replica)) {
      throw new ValidationError(
        'unknown-context',
        `the delta claims to have seen events of replica ${replica} that this document has not`,
      );
    }
    fresh = true;
  }
  if (!attributed) {
    throw new ValidationError(
      'unattributed',
      'the delta carries no dot of the replicas this connection writes as',
    );
  }
  const conflict = type.kind.findConflict(current.store, delta.store);
  if (conflict !== undefined) {
    throw new ValidationError(
      'dot-conflict',
      `dot ${conflict.replica}:${conflict.seq} is known here with other content`,
    );
  }
  type.checkDelta(current.store, delta.store, {
    writer: own,
    context: delta.context,
    seen: (replica, seq) => current.context.has(replica, seq),
    maxCounterStep: rules.maxCounterStep ?? DEFAULT_MAX_COUNTER_STEP,
    latestWall: (rules.now ?? Date.now)() + (rules.maxDriftMs ?? HLC_MAX_FUTURE_DRIFT_MS),
    // Present, so that this check and a map key's (underMapKey) share one shape.
    removable: false,
  });
  if (fresh) return 'write';
  // A delta of known dots can still remove entries: delivered after a newer write that covered
  // its dot, it brings the removals that newer write did not repeat.
  return type.kind.someRemoved(current.store, delta.store, delta.context, () => true)
    ? 'write'
    : 'replay';
}

/**
 * Decodes an untrusted delta that must be of `type`, in a delta format (1 or 3): a relay
 * stores and forwards a lone pushed delta's bytes as they came, so a snapshot (version 2, for
 * full states at rest) is refused there, and every reader of deltas keeps reading them.
 * @throws {ValidationError} `type-mismatch` when the bytes hold a state of another type.
 * @throws {DecodeError} when the bytes are malformed, or `bad-version` for a snapshot.
 */
export function decodeDeltaOf<S>(
  type: CrdtType<S, unknown>,
  bytes: Uint8Array,
  limits?: DecodeLimits,
): CrdtState<S> {
  if (bytes.length > 0 && bytes[0]! >> 6 === SNAPSHOT_FORMAT_VERSION) {
    throw new DecodeError('bad-version', 'a delta is in format 1 or 3; this is a snapshot', 0);
  }
  try {
    return type.decode(bytes, limits);
  } catch (err) {
    if (err instanceof DecodeError && err.code === 'wrong-type') {
      let actual = 'another type';
      try {
        actual = decodeState(bytes, limits).type.name;
      } catch {
        // The header is unreadable too: keep the generic wording.
      }
      throw new ValidationError(
        'type-mismatch',
        `this document is a ${type.name}; the delta is a ${actual}`,
      );
    }
    throw err;
  }
}
