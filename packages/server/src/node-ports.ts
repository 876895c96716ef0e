import type {
  AnyCrdtState,
  AnyCrdtType,
  CausalContext,
  DecodeLimits,
  DocumentId,
  ReplicaId,
} from '@helios/core';
import type { RightsGrant, RightsRequest } from '@helios/core/protocol';
import type { Logger } from 'pino';
import type { RelayUser } from './auth.js';
import type { CommitLane } from './commit-queue.js';
import type { DocumentCache, RelayDocument } from './documents.js';
import type { LocalWrite } from './local-write.js';
import type { LoopShare } from './loop-share.js';
import type { RelayMetrics } from './metrics.js';
import type { ConnectionLimits } from './options.js';
import type { PresenceHub } from './presence-hub.js';
import type { Grant } from './rights-desk.js';
import type { StoredChange } from './store/relay-store.js';

/**
 * What a relay node's parts see of it. Client sessions, feed streams and peer links each get
 * the port they need, which the `RelayNode` builds from its parts (the merge core, admission,
 * replication), so none of them imports the node that creates them, nor those parts.
 */
export interface NodeBasics {
  readonly metrics: RelayMetrics;
  readonly logger: Logger;
  /** The node's clock (ms). */
  readonly now: () => number;
  readonly decodeLimits: DecodeLimits;
  /** The documents in memory. */
  readonly docs: DocumentCache;
  /** Who is on which document, ephemerally (docs/presence.md). */
  readonly presence: PresenceHub;
}

/** What a client session needs of its node: documents, admission and the merge path. */
export interface SessionPort extends NodeBasics {
  readonly limits: ConnectionLimits;
  /** How connections' work shares the event loop. */
  readonly loopShare: LoopShare;
  /** Whether work is waiting for the next turn, or the bulk commit lane is full. */
  readonly behind: boolean;
  authorize(user: RelayUser, doc: string, access: 'read' | 'write'): Promise<boolean> | boolean;
  documentFor(id: DocumentId, type: AnyCrdtType): Promise<RelayDocument>;
  /** Brings a document up to what other nodes of the region committed to the shared store. */
  refresh(doc: RelayDocument): Promise<void>;
  /** Resolves once a replayed delta's dots are durable (see MergeCore.confirmReplay). */
  confirmReplay(doc: RelayDocument): Promise<void>;
  /** A bulk writer's turn: `undefined` to go on now, or a promise of its next turn. */
  bulkTurn(who: object): Promise<void> | undefined;
  /** Joins a validated client delta into `doc` at once (see MergeCore.mergeLocal). */
  mergeLocal(doc: RelayDocument, delta: AnyCrdtState): void;
  /**
   * Commits merged client deltas as one unit in `lane`, joined per document if `oneWriter`
   * (see MergeCore.commitLocal); resolves with the feed seqs of the changes stored.
   */
  commitLocal(
    writes: readonly LocalWrite[],
    originSocket: string,
    lane: CommitLane,
    oneWriter: boolean,
  ): Promise<number[]>;
  /** Grants a client's replica `to` up to `amount` rights of a bounded counter (RightsDesk). */
  rights(doc: DocumentId, to: ReplicaId, amount: number): Promise<Grant>;
  /** Replica epochs below this are retired (`RelayOptions.retiredEpochsBelow`). */
  retiredEpochsBelow(): number;
}

/** What a feed stream to a peer region needs of its node. */
export interface FeedPort extends NodeBasics {
  readonly limits: ConnectionLimits;
  refresh(doc: RelayDocument): Promise<void>;
  /** The peer acknowledged the feed up to `upTo`. */
  recordPeerAck(peer: string, upTo: number): void;
  /** The peer asked for the feed after `after`. */
  peerRequested(peer: string, after: number): void;
  /** The peer's relay asks for bounded-counter rights (RightsDesk). */
  rightsForPeer(peer: string, request: RightsRequest): Promise<Grant>;
}

/** What a link pulling a peer region's feed needs of its node. */
export interface LinkPort extends NodeBasics {
  readonly region: string;
  readonly relayId: string;
  /**
   * Merges and commits peer entries (with the cursor, if given); resolves with those held back
   * until what they name has arrived (see MergeCore.applyFromPeer).
   */
  applyFromPeer(
    peer: string,
    entries: readonly (Pick<StoredChange, 'doc' | 'delta'> & { readonly seq?: number })[],
    cursor: { readonly peer: string; readonly upTo: number } | undefined,
    ops?: { readonly holding: ReadonlySet<DocumentId>; readonly force: ReadonlySet<number> },
  ): Promise<PeerWait[]>;
  /** The peer answered this relay's request for rights. */
  rightsGranted(peer: string, grant: RightsGrant): void;
}

/** A peer's operation that `applyFromPeer` held back. */
export interface PeerWait {
  readonly doc: DocumentId;
  /** Its position in the peer's feed. */
  readonly seq: number;
  /** Its delta's context. */
  readonly context: CausalContext;
  /** The dots of that context this relay had not merged when it held it back. */
  readonly unseen: CausalContext;
}
