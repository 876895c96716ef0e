import type { CausalContext } from '../causal/causal-context.js';
import type { ReplicaId } from '../causal/replica-id.js';
import type { Value } from '../codec/value.js';
import type { SyncDigest } from '../crdt/crdt-type.js';
import type { WireCode } from './error-codes.js';

/** Version of the wire protocol; a relay refuses clients of another major version. */
export const PROTOCOL_VERSION = 1;

/** A document's name, unique per relay deployment: 1–256 characters. */
export type DocumentId = string;
export const MAX_DOCUMENT_ID_LENGTH = 256;

/**
 * What a client sends in the Socket.IO handshake (`auth`), as JSON: the token for the relay's
 * `authenticate` hook, the replica ids whose dots this connection may mint, the protocol version.
 */
export interface HelloAuth {
  readonly protocol: number;
  readonly token?: string;
  readonly replicas: readonly ReplicaId[];
  /**
   * Asks for {@link RegionReplicated} notices of this connection's writes (a write's trail per
   * peer region, for devtools): each costs a message per peer region, so only who asks gets them.
   */
  readonly regionTrail?: boolean;
}

/**
 * What a peer relay sends in the handshake instead of a {@link HelloAuth}: its region, its relay
 * id, and the deployment's peer token (the relay's `peerToken`), as JSON.
 */
export interface PeerAuth {
  readonly protocol: number;
  readonly peer: string;
  readonly relayId: string;
  readonly token?: string;
}

/** Limits the relay enforces, announced in {@link Welcome} so clients can stay within them. */
export interface RelayLimits {
  readonly maxMessageBytes: number;
  readonly maxDeltasPerSecond: number;
  readonly maxDriftMs: number;
}

// ─── relay → client ───────────────────────────────────────────────────────────────────────────

/** First message on a connection: who the relay is, its time, its limits. */
export interface Welcome {
  readonly kind: 'welcome';
  readonly protocol: number;
  readonly region: string;
  readonly relayId: string;
  /** The relay's wall clock (ms) when it sent this; clients derive their HLC offset from it. */
  readonly time: number;
  readonly limits: RelayLimits;
  /**
   * The epoch of the relay's store, sent to peer relays only (clients get a welcome without
   * it). A store recreated empty has a new epoch and restarts its feed at seq 1, so a peer keeps
   * its feed cursor per region *and* epoch.
   */
  readonly epoch?: string;
}

/** Answer to a subscription: exactly what the client lacked, as one encoded delta. */
export interface SyncReply {
  readonly kind: 'sync';
  readonly doc: DocumentId;
  /** An encoded state (`CrdtType.encode`): the relay's `deltaSince(client digest)`. */
  readonly delta: Uint8Array;
}

/** A live delta of a subscribed document, written by someone else. */
export interface DeltaEvent {
  readonly kind: 'delta';
  readonly doc: DocumentId;
  readonly delta: Uint8Array;
}

/** Pushes durably committed by the relay, by their ids. */
export interface Ack {
  readonly kind: 'ack';
  readonly ids: readonly number[];
}

/** Dots of a document now durable in every region, as far as this relay knows. */
export interface Replicated {
  readonly kind: 'replicated';
  readonly doc: DocumentId;
  readonly dots: CausalContext;
}

/**
 * Dots of a document now durable in peer region `region` (one of the regions this relay
 * replicates to), as far as this relay knows: the per-region step of a write's trail, before
 * {@link Replicated} says every region has it. Sent only to the subscribers who wrote them and
 * asked for it at the handshake (`HelloAuth.regionTrail`), as kind 19.
 */
export interface RegionReplicated {
  readonly kind: 'region-replicated';
  readonly doc: DocumentId;
  readonly region: string;
  readonly dots: CausalContext;
}

/**
 * The deployment's replica epochs (docs/compaction.md), sent to a client right after the
 * `welcome` by a relay configured with `replicaEpoch`: new replica ids are to be minted of epoch
 * `epoch` (`newEpochReplicaId`), and ids of epochs below `retiredBelow` (≤ `epoch`) are refused.
 * A kind of its own rather than a `welcome` field: clients that predate it drop a welcome they
 * cannot decode, but ignore kinds they do not know. Kind 21.
 */
export interface ReplicaEpochs {
  readonly kind: 'replica-epoch';
  readonly epoch: number;
  readonly retiredBelow: number;
}

/** Why a message was refused. `push` names the refused push id, `doc` the document. */
export interface ErrorEvent {
  readonly kind: 'error';
  readonly code: WireCode;
  readonly message: string;
  readonly push?: number;
  readonly doc?: DocumentId;
}

// ─── client → relay ───────────────────────────────────────────────────────────────────────────

/** One document a client subscribes to: its type (an encoded empty state) and what it has. */
export interface Subscription {
  readonly doc: DocumentId;
  /** `type.encode(type.empty())`: names the type so the relay can create or check the doc. */
  readonly type: Uint8Array;
  readonly digest: SyncDigest;
}

export interface Subscribe {
  readonly kind: 'subscribe';
  readonly docs: readonly Subscription[];
}

export interface Unsubscribe {
  readonly kind: 'unsubscribe';
  readonly docs: readonly DocumentId[];
}

/** One delta to merge; `id` is the sender's, unique per connection, echoed in the ack. */
export interface PushEntry {
  readonly id: number;
  readonly doc: DocumentId;
  readonly delta: Uint8Array;
}

export interface Push {
  readonly kind: 'push';
  readonly entries: readonly PushEntry[];
}

// ─── relay ↔ relay ────────────────────────────────────────────────────────────────────────────

/** One change of a relay's feed: a delta that entered through that relay, in commit order. */
export interface FeedEntry {
  readonly seq: number;
  readonly doc: DocumentId;
  readonly delta: Uint8Array;
}

/**
 * A peer asks for the feed after `after` (the last sequence it has durably merged). If the feed
 * no longer reaches back there, the answer is a backfill ({@link FeedState} pages) instead.
 */
export interface FeedRequest {
  readonly kind: 'feed-request';
  readonly after: number;
  /** Asks for the next backfill page: the documents after this one (a `feed-state`'s `next`). */
  readonly afterDoc?: DocumentId;
}

/** One document's whole encoded state (`CrdtType.encode`), in a backfill page. */
export interface FeedStateEntry {
  readonly doc: DocumentId;
  readonly state: Uint8Array;
}

/**
 * A page of a backfill: the whole state of some documents, in the relay's order of document
 * ids. Merged together, the pages hold every change of the feed up to `upTo`; the peer then
 * continues with the feed after `upTo`.
 */
export interface FeedState {
  readonly kind: 'feed-state';
  readonly upTo: number;
  readonly entries: readonly FeedStateEntry[];
  /** The last document of this page, to ask for the next one with; absent on the last page. */
  readonly next?: DocumentId;
}

/**
 * Part of the feed: at least one entry, in increasing seq order, and every entry of the feed in
 * `(after, last seq]`. A transport may deliver batches out of order (one stream each), so the
 * receiver learns from `after` which batch this one continues: seqs have gaps (peers' changes and
 * skipped sequence values take seqs too), and only `after` tells a skip from a batch not
 * received yet (docs/protocol.md §4.6).
 */
export interface FeedBatch {
  readonly kind: 'feed-batch';
  /**
   * The feed position this batch follows directly: the last seq of the batch sent before it on
   * the connection, or the `after` of the request it answers. Below the first entry's seq.
   */
  readonly after: number;
  readonly entries: readonly FeedEntry[];
}

/** The receiving peer has durably merged the feed up to `upTo`. */
export interface FeedAck {
  readonly kind: 'feed-ack';
  readonly upTo: number;
}

/**
 * A closure receipt (docs/compaction.md): the sender's region refuses every replica id of an
 * epoch below `below` (its `retiredEpochsBelow`), and its feed after `upTo` holds no write of
 * one. A peer that has merged that feed up to `upTo` therefore has every write the sender's
 * region ever accepted from those replicas. Sent on the control lane after the `welcome`, and
 * again whenever the sender retires more epochs; a receipt replaces the one before it on the
 * same connection. Kind 20.
 */
export interface FeedClosed {
  readonly kind: 'feed-closed';
  /** 1 to `MAX_EPOCH` + 1. */
  readonly below: number;
  readonly upTo: number;
}

// ─── rights of bounded counters: client → relay, relay → relay ───────────────────────────────

/** The most rights one {@link RightsRequest} may ask for (a relay grants at most its own cap). */
export const MAX_RIGHTS_REQUEST = 2 ** 32;

/**
 * Asks the relay for rights of the bounded counter `doc`, to be given to replica `to` (one of
 * the connection's replicas, for a client; the asking relay's own replica, for a peer region).
 * The relay answers with a {@link RightsGrant} of the same `id`.
 */
export interface RightsRequest {
  readonly kind: 'rights-request';
  /** The asker's, echoed in the grant. */
  readonly id: number;
  readonly doc: DocumentId;
  readonly to: ReplicaId;
  /**
   * 0 to {@link MAX_RIGHTS_REQUEST}; 0 asks only for the relay's replica id (the grant's
   * `from`), which a client needs to give rights to its region.
   */
  readonly amount: number;
}

/**
 * The answer to a {@link RightsRequest}: `granted` rights moved from the relay's replica `from`
 * to the asker, by `delta`, a transfer the relay has committed and sent on as any write. A
 * client gets the transfer with the grant and merges it at once; a peer relay gets none (the
 * transfer comes in the feed), nor does a grant of nothing.
 */
export interface RightsGrant {
  readonly kind: 'rights-grant';
  readonly id: number;
  readonly doc: DocumentId;
  readonly from: ReplicaId;
  readonly granted: number;
  readonly delta?: Uint8Array;
}

// ─── presence: client → relay → clients, relay → relay (docs/presence.md) ─────────────────────

/** Largest encoded presence state (the `Value` encoding), in bytes. */
export const MAX_PRESENCE_STATE_BYTES = 1024;
/** Longest presence entry id (set by the relay: its id and the connection's). */
export const MAX_PRESENCE_ID_LENGTH = 128;

/**
 * A client sets (or, without `state`, clears) its presence on a document it is subscribed to.
 * Who it is (entry id, region, user) the relay stamps; the client cannot name it.
 */
export interface PresenceSet {
  readonly kind: 'presence-set';
  readonly doc: DocumentId;
  readonly state?: Value;
}

/** One connection's presence on a document, as the relay of its region stamped it. */
export interface PresenceEntry {
  /** Unique per connection, across regions. */
  readonly id: string;
  readonly region: string;
  /** The authenticated user of the connection, if the relay knows one. */
  readonly user?: string;
  /** Absent: the entry is gone (cleared, its connection closed, or expired). */
  readonly state?: Value;
}

/**
 * Presence of others on a subscribed document: all of it right after a subscription's `sync`,
 * then each change (a set, a clear, a removal).
 */
export interface Presence {
  readonly kind: 'presence';
  readonly doc: DocumentId;
  readonly entries: readonly PresenceEntry[];
}

/** Presence entries of one region's connections, as sent to a peer region. */
export interface PeerPresenceEntry {
  readonly doc: DocumentId;
  readonly id: string;
  readonly user?: string;
  readonly state?: Value;
}

/**
 * Presence changes of the sender's region. The receiving relay takes the region from the peer
 * connection's handshake, never from the message.
 */
export interface PeerPresence {
  readonly kind: 'peer-presence';
  readonly entries: readonly PeerPresenceEntry[];
}

export type RelayToClient =
  | Welcome
  | SyncReply
  | DeltaEvent
  | Ack
  | Replicated
  | RegionReplicated
  | ReplicaEpochs
  | ErrorEvent
  | RightsGrant
  | Presence;
export type ClientToRelay = Subscribe | Unsubscribe | Push | RightsRequest | PresenceSet;
export type PeerMessage =
  | FeedRequest
  | FeedBatch
  | FeedAck
  | FeedClosed
  | FeedState
  | RightsRequest
  | RightsGrant
  | PeerPresence;
/** Every message of the protocol, as a tagged union on `kind`. */
export type Message = RelayToClient | ClientToRelay | PeerMessage;
