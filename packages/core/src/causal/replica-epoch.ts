import { InvalidArgumentError } from '../errors.js';
import type { ReplicaId } from './replica-id.js';

/**
 * Replica ids that carry a retirement epoch, and the reserved replica that records folds.
 *
 * A document can forget the replicas of every epoch below a *frontier* in one number: its
 * causal context then counts every dot of those replicas as seen, and their counter entries
 * live on only as the sum held by the fold entry (see docs/compaction.md). An epoch is a period
 * of a deployment's replica leases: once a period's leases have expired, no writer may mint
 * under its ids any more, and relays may fold them once every region has all their writes.
 *
 * An epoch id is 20 lowercase hex digits: 4 of epoch (0–65535), then 16 random (64 bits, so a
 * hundred thousand writers of one epoch collide with probability below 1e-9). Ids of any other
 * shape (the 14-digit compact ids, application strings) have no epoch and are never retired.
 */

/** Largest epoch an id can carry. */
export const MAX_EPOCH = 0xffff;

/** Hex digits of an epoch id. */
export const EPOCH_ID_LENGTH = 20;

/**
 * The replica whose dots are folds: the fold that retires every epoch below `E` is the event
 * (`FOLD_REPLICA`, `E`), and its entry holds the totals of all those replicas. It has the
 * relays' prefix (`relay:`, see `relayReplicaId`), which no client may be bound to, so a client
 * cannot mint a fold: its delta is refused as `foreign-dot`.
 */
export const FOLD_REPLICA: ReplicaId = 'relay:fold';

/** Value of a lowercase hex digit's char code, or -1. */
function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  return c >= 97 && c <= 102 ? c - 87 : -1;
}

/** True when the characters of `id` from `from` on are all lowercase hex digits. */
function hexFrom(id: string, from: number): boolean {
  for (let i = from; i < id.length; i++) if (hexDigit(id.charCodeAt(i)) < 0) return false;
  return true;
}

/** The epoch of an id of epoch-id length, read from its first 4 digits; -1 if they are not hex. */
function leadingEpoch(id: string): number {
  let epoch = 0;
  for (let i = 0; i < 4; i++) {
    const d = hexDigit(id.charCodeAt(i));
    if (d < 0) return -1;
    epoch = epoch * 16 + d;
  }
  return epoch;
}

/** True when `id` has the epoch-id form. */
export function isEpochReplicaId(id: ReplicaId): boolean {
  return id.length === EPOCH_ID_LENGTH && hexFrom(id, 0);
}

/** The epoch of an epoch id; `undefined` for ids of any other form. */
export function epochOf(id: ReplicaId): number | undefined {
  return isEpochReplicaId(id) ? leadingEpoch(id) : undefined;
}

/**
 * True when `frontier` retires `id`: it is an epoch id of an epoch below the frontier. On the
 * hot path of every causal-context lookup once a document is folded, so it reads the epoch
 * first and checks the rest of the id only when the epoch is retired.
 */
export function isRetiredBy(id: ReplicaId, frontier: number): boolean {
  if (frontier === 0 || id.length !== EPOCH_ID_LENGTH) return false;
  const epoch = leadingEpoch(id);
  return epoch >= 0 && epoch < frontier && hexFrom(id, 4);
}

/**
 * Whether `value` can be a retirement frontier ("epochs below it are retired") as peers and
 * relays send it: an integer from 1 (epoch 0 retired) to {@link MAX_EPOCH} + 1 (all retired).
 */
export function isEpochFrontier(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 1 && (value as number) <= MAX_EPOCH + 1;
}

/** Throws {@link InvalidArgumentError} unless `epoch` is an integer in 0–{@link MAX_EPOCH}. */
export function assertEpoch(epoch: number): void {
  if (!Number.isInteger(epoch) || epoch < 0 || epoch > MAX_EPOCH) {
    throw new InvalidArgumentError(`an epoch is an integer from 0 to ${MAX_EPOCH}, not ${epoch}`);
  }
}

/**
 * A fresh replica id of `epoch`: the epoch in 4 hex digits, then 64 random bits. Callers pass
 * the random source in tests.
 */
export function newEpochReplicaId(
  epoch: number,
  randomBytes: (n: number) => Uint8Array = (n) => crypto.getRandomValues(new Uint8Array(n)),
): ReplicaId {
  assertEpoch(epoch);
  let id = epoch.toString(16).padStart(4, '0');
  for (const byte of randomBytes(8)) id += byte.toString(16).padStart(2, '0');
  return id;
}
