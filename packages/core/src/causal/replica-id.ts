import { InvalidArgumentError } from '../errors.js';

/**
 * Identifies one replica: the writer that mints dots. Any non-empty string of at most
 * {@link MAX_REPLICA_ID_LENGTH} UTF-16 units is accepted; ids made by {@link newReplicaId}
 * (14 lowercase hex digits, 56 random bits) encode in 7 bytes instead of a length-prefixed string.
 */
export type ReplicaId = string;

export const MAX_REPLICA_ID_LENGTH = 64;

const COMPACT_ID = /^[0-9a-f]{14}$/;

/** True when the id has the 14-hex-digit form that the codec packs into 7 bytes. */
export function isCompactReplicaId(id: ReplicaId): boolean {
  return COMPACT_ID.test(id);
}

/**
 * A fresh random replica id: 56 bits, so two writers of one document collide with probability
 * below 1e-11 even with a thousand of them. Callers pass the random source in tests.
 */
export function newReplicaId(
  randomBytes: (n: number) => Uint8Array = (n) => crypto.getRandomValues(new Uint8Array(n)),
): ReplicaId {
  let id = '';
  for (const byte of randomBytes(7)) id += byte.toString(16).padStart(2, '0');
  return id;
}

/** Throws {@link InvalidArgumentError} unless `id` is usable as a replica id. */
export function assertReplicaId(id: unknown): asserts id is ReplicaId {
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_REPLICA_ID_LENGTH) {
    throw new InvalidArgumentError(
      `a replica id is a non-empty string of at most ${MAX_REPLICA_ID_LENGTH} characters`,
    );
  }
}
