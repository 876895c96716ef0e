import {
  type CausalContext,
  type DocumentId,
  epochOf,
  GCounter,
  type GCounterType,
  InvalidArgumentError,
  PNCounter,
  type ReplicaId,
} from '@helios/core';
import { RelayError } from './errors.js';
import type { MergeCore } from './merge-core.js';
import type { NodeSlot } from './node-slot.js';

/**
 * Replica retirement on a relay (docs/compaction.md): which replica ids may no longer write, and
 * the fold that then compacts a counter's entries of those replicas.
 */

/**
 * Refuses a handshake that binds a replica id of a retired epoch (`replica-retired`): its
 * writer must take an id of a current epoch. `retiredBelow` is the deployment's
 * `retiredEpochsBelow`.
 */
export function refuseRetiredReplica(replica: ReplicaId, retiredBelow: number): void {
  const epoch = epochOf(replica);
  if (epoch !== undefined && epoch < retiredBelow) {
    throw new RelayError(
      'replica-retired',
      `replica ${replica} is of epoch ${epoch}, and epochs below ${retiredBelow} are retired: take a replica id of a current epoch`,
      { retiredBelow },
    );
  }
}

/**
 * Refuses a push by a replica of a retired epoch that the connection is bound to (its writes
 * name it in their context): bound before its epoch retired, it may still be connected.
 */
export function refuseRetiredWriter(
  context: CausalContext,
  bound: ReadonlySet<ReplicaId>,
  retiredBelow: number,
): void {
  if (retiredBelow === 0) return;
  for (const replica of context.replicas()) {
    if (bound.has(replica)) refuseRetiredReplica(replica, retiredBelow);
  }
}

/**
 * The region that folds document `doc`: the same answer in every region, given the same set of
 * regions (each relay passes its own region and its peers'), so a scheduled job folds each
 * document once. Folding is safe in any region, and concurrently in several (they make the
 * same event): the owner only saves the duplicate work. FNV-1a of the id picks among the
 * regions sorted by name.
 */
export function foldOwner(doc: DocumentId, regions: readonly string[]): string {
  if (regions.length === 0) throw new RangeError('no region to fold in');
  let hash = 0x811c9dc5;
  for (let i = 0; i < doc.length; i++) {
    hash ^= doc.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return [...regions].sort()[hash % regions.length]!;
}

/** What a fold needs of the relay node. */
export interface FoldParts {
  readonly core: MergeCore;
  readonly slot: NodeSlot;
  /** The deployment's `retiredEpochsBelow`. */
  readonly retiredBelow: number;
}

/**
 * Folds the entries of every replica of an epoch below `frontier` in counter `id`, as this
 * relay's own write: merged, committed, fanned out to subscribers and fed to the peer regions
 * like any delta, so every region and client converges on it. Resolves `false` when the
 * document is folded that far already.
 *
 * The caller asserts the fold's precondition: every region has retired those epochs
 * (`retiredEpochsBelow` at least `frontier` everywhere) and this region has merged every write
 * any region accepted from them. Concurrent folds of one frontier by several regions are the
 * same event, byte for byte, so they do no harm.
 * @throws {InvalidArgumentError} for a frontier above `retiredEpochsBelow` or a document that is
 * not a G- or PN-Counter; {@link RelayError} `unknown-document` for one this relay does not have.
 */
export async function foldRetired(
  parts: FoldParts,
  id: DocumentId,
  frontier: number,
): Promise<boolean> {
  if (frontier > parts.retiredBelow) {
    throw new InvalidArgumentError(
      `epochs below ${frontier} are not all retired here (retiredEpochsBelow is ${parts.retiredBelow})`,
    );
  }
  const doc = await parts.core.docs.get(id);
  if (doc === undefined) throw new RelayError('unknown-document', `no document ${id} here`);
  await parts.core.refresh(doc);
  if (doc.type !== GCounter && doc.type !== PNCounter) {
    throw new InvalidArgumentError(`${id} is a ${doc.type.name}: only counters fold`);
  }
  if (doc.state.context.frontier >= frontier) return false;
  const delta = (doc.type as GCounterType).fold(doc.state, frontier);
  const bytes = doc.type.encode(delta);
  await parts.core.applyLocal(doc, bytes, delta, undefined, 'interactive', parts.slot.held?.fence);
  return true;
}
