import { CausalContext } from '../causal/causal-context.js';
import { isEpochFrontier, MAX_EPOCH } from '../causal/replica-epoch.js';
import { MAX_REPLICA_ID_LENGTH } from '../causal/replica-id.js';
import type { ByteReader } from '../codec/byte-reader.js';
import { readContext } from '../codec/replica-table.js';
import { MAX_DOCUMENT_ID_LENGTH } from './messages.js';

/** Readers of the fields messages share, each checking what untrusted bytes may hold. */

export function docId(r: ByteReader): string {
  const doc = r.string();
  if (doc.length === 0 || doc.length > MAX_DOCUMENT_ID_LENGTH) {
    r.fail('invariant', `a document id has 1 to ${MAX_DOCUMENT_ID_LENGTH} characters`);
  }
  return doc;
}

/** Push ids up to 2^48: an `error` names one as id + 1, which must stay an exact integer. */
const MAX_PUSH_ID = 2 ** 48;

export function pushId(r: ByteReader): number {
  const id = r.uint();
  if (id > MAX_PUSH_ID) r.fail('invariant', `push id ${id} exceeds 2^48`);
  return id;
}

export function replica(r: ByteReader): string {
  const id = r.string();
  if (id.length === 0 || id.length > MAX_REPLICA_ID_LENGTH) {
    r.fail('invariant', `a replica id has 1 to ${MAX_REPLICA_ID_LENGTH} characters`);
  }
  return id;
}

/** Region names are short labels (`eu-west`): 1 to 256 characters. */
const MAX_REGION_LENGTH = 256;

export function regionName(r: ByteReader): string {
  const region = r.string();
  if (region.length === 0 || region.length > MAX_REGION_LENGTH) {
    r.fail('invariant', `a region name has 1 to ${MAX_REGION_LENGTH} characters`);
  }
  return region;
}

export function context(r: ByteReader): CausalContext {
  const ctx = new CausalContext();
  readContext(r, ctx);
  return ctx;
}

/**
 * A closure receipt's epoch bound: 1 to {@link MAX_EPOCH} + 1 (a receipt of 0 retires nothing,
 * so none is ever sent).
 */
export function closedBelow(r: ByteReader): number {
  const below = r.uint();
  if (!isEpochFrontier(below)) {
    r.fail('invariant', `a closure receipt retires epochs below 1 to ${MAX_EPOCH + 1}`);
  }
  return below;
}

/** A `replica-epoch`'s fields: an epoch up to {@link MAX_EPOCH}, and a retired bound ≤ it. */
export function replicaEpochs(r: ByteReader): { epoch: number; retiredBelow: number } {
  const epoch = r.uint();
  const retiredBelow = r.uint();
  if (epoch > MAX_EPOCH || retiredBelow > epoch) {
    r.fail(
      'invariant',
      `replica epochs: the current one is at most ${MAX_EPOCH}, retired ones below it`,
    );
  }
  return { epoch, retiredBelow };
}
