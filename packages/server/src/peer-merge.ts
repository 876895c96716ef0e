import {
  type AnyCrdtState,
  type AnyCrdtType,
  type CausalContext,
  causalReadiness,
  type DecodeLimits,
  type DocumentId,
  decodeState,
  unseenDots,
} from '@helios/core';
import type { Logger } from 'pino';
import type { DocumentCache, RelayDocument } from './documents.js';
import type { RelayMetrics } from './metrics.js';
import type { PeerWait } from './node-ports.js';
import type { NewChange, StoredChange } from './store/relay-store.js';

/** A feed batch's documents already holding entries back, and the seqs to merge regardless. */
export interface PeerOps {
  readonly holding: ReadonlySet<DocumentId>;
  readonly force: ReadonlySet<number>;
}

/** What `MergeCore`'s merge of a peer's entries did: the changes merged and held. */
export interface MergedFromPeer {
  readonly changes: NewChange[];
  /** The merged deltas, decoded, in the order of `changes`. */
  readonly decoded: AnyCrdtState[];
  readonly held: PeerWait[];
}

/** Peer entries as `MergeCore.applyFromPeer` takes them: a feed entry or a document state. */
export type PeerEntries = readonly (Pick<StoredChange, 'doc' | 'delta'> & {
  readonly seq?: number;
})[];

/** What the merge of a peer's entries needs of the merge core. */
export interface PeerMergePort {
  readonly docs: DocumentCache;
  readonly decodeLimits: DecodeLimits;
  readonly logger: Logger;
  readonly metrics: RelayMetrics;
  /** Joins a delta into its document (with the metrics and outlet of every merge). */
  merge(doc: RelayDocument, delta: AnyCrdtState): void;
  /** Brings a document up to what the region's other nodes committed. */
  refresh(doc: RelayDocument): Promise<void>;
}

/**
 * Merges a peer's entries that are causally ready (see `MergeCore.applyFromPeer`) into their
 * documents, in order; holds back the rest, with every later entry of their documents.
 */
export async function mergeFromPeer(
  core: PeerMergePort,
  peer: string,
  entries: PeerEntries,
  ops: PeerOps | undefined,
): Promise<MergedFromPeer> {
  const changes: NewChange[] = [];
  const decoded: AnyCrdtState[] = [];
  const held: PeerWait[] = [];
  const holding = new Set(ops?.holding);
  for (const entry of entries) {
    let type: AnyCrdtType;
    let state: AnyCrdtState;
    try {
      ({ type, state } = decodeState(entry.delta, core.decodeLimits));
    } catch (err) {
      core.logger.error({ err, peer, doc: entry.doc }, 'undecodable delta from a peer; skipped');
      continue;
    }
    const doc = await core.docs.getOrCreate(entry.doc, type);
    if (doc.type !== type) {
      core.logger.error({ peer, doc: entry.doc }, 'peer sent a delta of another type; skipped');
      continue;
    }
    // A dot's content is fixed where it is first merged. Clients cannot send a known dot with
    // other content (`dot-conflict`), so this is a writer that used one replica id in two
    // regions at once, or a broken peer: keep ours rather than let regions disagree silently.
    const conflict = doc.type.kind.findConflict(doc.state.store, state.store);
    if (conflict !== undefined) {
      core.metrics.dotConflicts.inc({ peer });
      core.logger.error(
        { peer, doc: entry.doc, dot: conflict },
        'peer sent a known dot with other content; skipped',
      );
      continue;
    }
    if (ops !== undefined && !ops.force.has(entry.seq ?? 0)) {
      const seq = entry.seq ?? 0;
      const wait = holding.has(entry.doc)
        ? {
            doc: entry.doc,
            seq,
            context: state.context,
            unseen: unseenDots(state.context, doc.state.context),
          }
        : await unready(core, doc, entry.doc, seq, state.context);
      if (wait !== undefined) {
        held.push(wait);
        holding.add(entry.doc);
        continue;
      }
    }
    core.merge(doc, state);
    changes.push({ doc: entry.doc, delta: entry.delta, origin: peer });
    decoded.push(state);
  }
  return { changes, decoded, held };
}

/**
 * Why a peer's operation cannot be merged into `doc` yet, or undefined if it can: it names
 * writes of other replicas this relay has not merged (`one-writer` readiness). With several
 * nodes, another node may have merged them: the document is refreshed before it waits.
 */
async function unready(
  core: PeerMergePort,
  doc: RelayDocument,
  id: DocumentId,
  seq: number,
  context: CausalContext,
): Promise<PeerWait | undefined> {
  if (causalReadiness(context, doc.state.context, 'one-writer').ready) return undefined;
  await core.refresh(doc);
  const { ready, unseen } = causalReadiness(context, doc.state.context, 'one-writer');
  return ready ? undefined : { doc: id, seq, context, unseen };
}
