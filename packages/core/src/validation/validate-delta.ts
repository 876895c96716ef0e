import { rangesInclude } from '../causal/ranges.js';
import type { ReplicaId } from '../causal/replica-id.js';
import { HLC_MAX_FUTURE_DRIFT_MS } from '../clock/hybrid-logical-clock.js';
import type { DecodeLimits } from '../codec/limits.js';
import type { CrdtState, CrdtType } from '../crdt/crdt-type.js';
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
 * Checks an untrusted delta against the state it would be merged into, before the merge.
 * Nothing is changed; the first broken rule throws a {@link ValidationError} naming it:
 *
 * - `foreign-dot`: the store holds a dot of a replica the sender may not write for, and the
 *   receiver has not seen that dot already;
 * - `unknown-context`: the context claims dots of another replica that the receiver has never
 *   seen (it would erase that replica's future writes);
 * - `counter-decrease` / `counter-increment`: a counter entry goes down, or up by more than
 *   `maxCounterStep`;
 * - `clock-drift`: an LWW timestamp is further ahead than `maxDriftMs`.
 */
export function validateDelta<S>(
  type: CrdtType<S, unknown>,
  current: CrdtState<S>,
  delta: CrdtState<S>,
  rules: ValidationRules,
): void {
  const own = rules.replicas;
  // Store dots first: a forged write also puts its dot in the context, and must be reported as
  // the forgery it is, not as an unknown context (which would make this rule unreachable).
  type.kind.forEachDot(delta.store, (replica, seq) => {
    if (!own.has(replica) && !current.context.has(replica, seq)) {
      throw new ValidationError(
        'foreign-dot',
        `the delta writes as replica ${replica}, which this connection is not bound to`,
      );
    }
  });
  for (const replica of delta.context.replicas()) {
    if (own.has(replica)) continue;
    if (!rangesInclude(current.context.rangesOf(replica), delta.context.rangesOf(replica))) {
      throw new ValidationError(
        'unknown-context',
        `the delta claims to have seen events of replica ${replica} that this document has not`,
      );
    }
  }
  type.checkDelta(current.store, delta.store, {
    maxCounterStep: rules.maxCounterStep ?? DEFAULT_MAX_COUNTER_STEP,
    latestWall: (rules.now ?? Date.now)() + (rules.maxDriftMs ?? HLC_MAX_FUTURE_DRIFT_MS),
    seen: (replica, seq) => current.context.has(replica, seq),
  });
}

/**
 * Decodes an untrusted delta that must be of `type`.
 * @throws {ValidationError} `type-mismatch` when the bytes hold a state of another type.
 * @throws {DecodeError} when the bytes are malformed.
 */
export function decodeDeltaOf<S>(
  type: CrdtType<S, unknown>,
  bytes: Uint8Array,
  limits?: DecodeLimits,
): CrdtState<S> {
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
