import type { DecodeLimits } from '@helios/core';
import type { PeerAuth, RelayLimits } from '@helios/core/protocol';
import type { SocketIoTransport, Transport } from '@helios/transport';
import type { Logger } from 'pino';
import type { Authenticate, Authorize, JwtOptions } from './auth.js';
import type { DEFAULT_RIGHTS_POLICY, RightsPolicy } from './rights-desk.js';
import type { RelayStore } from './store/relay-store.js';

/** Another region's relay that this relay replicates with. */
export interface PeerConfig {
  /** URL of the peer's relay, as `peerTransport` dials it (Socket.IO: `http://127.0.0.1:4102`). */
  readonly url: string;
  /** The peer's region. Replication status waits for every configured region. */
  readonly region: string;
  /** One-way delay to inject on this link (ms), to simulate distance. Default 0. */
  readonly latencyMs?: number;
  /**
   * The peer's UDP port for QUIC peer links (`peerTransport: 'quic'`), where it is not the port
   * of `url` (the peer's `quic.port`). Default: the port of `url`.
   */
  readonly quicPort?: number;
}

/**
 * QUIC peer links (docs/quic.md): the listener's certificate and UDP port, and the CA that the
 * peers' certificates are verified against when dialling them. PEM strings.
 */
export interface QuicOptions {
  /**
   * The certificate (chain) the listener presents, and its private key. Without them a
   * self-signed pair is made at start, for development (a warning is logged).
   */
  readonly cert?: string;
  readonly key?: string;
  /**
   * CA certificate(s) the peers' certificates must chain to, their names matching the host of
   * the peer URLs. Without it peers' certificates are not verified: the peer token is what
   * authenticates a link then, as over plain ws.
   */
  readonly ca?: string;
  /** UDP port of the listener. Default: the relay's HTTP port. */
  readonly port?: number;
}

/**
 * What one connection, and one user over all of its connections, may make the relay do. The
 * `…PerSecond` limits are budgets (token buckets holding two seconds' worth). A client that
 * outruns a budget is slowed down, not refused: the relay stops reading its connection and
 * handling its messages until the budget is paid back (TCP then holds the client back). One
 * that stays over budget for `overBudgetCloseMs` is sent an `error` `rate-limited` and
 * disconnected. In anonymous mode each connection counts as a user of its own. See
 * docs/protocol.md §5.4.
 */
export interface ConnectionLimits extends RelayLimits {
  /**
   * Per connection: push entries, and documents named in `subscribe` and `unsubscribe`
   * messages, per second. Announced in `welcome`. Default 5,000.
   */
  readonly maxDeltasPerSecond: number;
  /** Per connection: frames per second, of any event and payload. Default 2,000. */
  readonly maxMessagesPerSecond: number;
  /** Per connection: bytes of those frames per second. Default 4 MiB. */
  readonly maxBytesPerSecond: number;
  /** Per user, over all of its connections on this node: entries per second. Default 10,000. */
  readonly maxUserDeltasPerSecond: number;
  /** Per user: frames per second. Default 4,000. */
  readonly maxUserMessagesPerSecond: number;
  /** Per user: bytes per second. Default 8 MiB. */
  readonly maxUserBytesPerSecond: number;
  /**
   * Per user: open connections on one relay node; further handshakes are refused with
   * `too-many-connections`. Default 64.
   */
  readonly maxConnectionsPerUser: number;
  /**
   * Per user: replica ids not bound yet that its handshakes may claim per minute; further
   * handshakes are refused with `too-many-replicas`. Default 120.
   */
  readonly maxReplicaClaimsPerMinute: number;
  /**
   * Per connection: frames received and not handled yet. There the relay stops reading a bulk
   * writer's connection (over 16 KiB queued, over 500 entries within about a second, or a frame
   * of over 64 entries) until
   * half of them are handled; an ordinary client's is always read. Default 64.
   */
  readonly maxQueuedMessages: number;
  /**
   * Per connection: bytes of those frames; the same as `maxQueuedMessages`. Frames read while
   * reading stops (the rest of a WebSocket chunk; long-polling, which cannot be stopped) get room
   * for one more frame of `maxMessageBytes`; past that a frame is dropped with `rate-limited`.
   * Default 1 MiB.
   */
  readonly maxQueuedBytes: number;
  /**
   * How long a connection may stay over its budget or its user's (in debt) without a second's
   * break before it is sent `rate-limited` and closed (ms). A bulk writer the relay only holds
   * back (unread while it has other work) is within its budget and stays. Default 5,000.
   */
  readonly overBudgetCloseMs: number;
  /** Per connection: documents it may subscribe to. Default 10,000. */
  readonly maxSubscriptions: number;
  /** Largest counter step one delta may carry. Default 2^32. */
  readonly maxCounterStep: number;
  /**
   * Per connection: requests for bounded-counter rights per second (a budget of two seconds'
   * worth); one over it is refused with `rate-limited`. Default 5.
   */
  readonly maxRightsRequestsPerSecond: number;
  /**
   * Per connection: presence updates per second (a budget of two seconds' worth); one over it
   * is refused with `rate-limited`. Default 20 (docs/presence.md).
   */
  readonly maxPresenceSetsPerSecond: number;
  /**
   * Presence entries of one region on one document; a connection's first set past it is refused
   * with `too-large`, a peer region's entries past it are dropped. Default 100.
   */
  readonly maxPresencePerDocument: number;
  /** A presence entry not refreshed for this long is removed (ms). Default 30,000. */
  readonly presenceTtlMs: number;
}

export interface RelayOptions {
  /** This relay's region, e.g. `us-east-1`: the origin of the deltas its clients push. */
  readonly region: string;
  /** Unique id of this relay node; default `<region>-<random>`. */
  readonly relayId?: string;
  readonly store: RelayStore;
  /** Relays of the other regions. */
  readonly peers?: readonly PeerConfig[];
  /** Shared secret that relays of one deployment present to each other. */
  readonly peerToken?: string;
  /**
   * Bearer token of the read-only admin endpoint (`/admin/…`: a document's state, replication
   * lag, recent conflicts; docs/devtools.md). Without one the endpoint is disabled, whatever the
   * client authentication (anonymous mode too). At least 16 characters.
   */
  readonly adminToken?: string;
  /**
   * How this relay's peer links reach the peer regions' relays: `'ws'` (the default), a
   * {@link SocketIoTransport} with a 20 s handshake timeout; `'quic'`, QUIC falling back to
   * WebSocket for a peer whose UDP port does not answer (docs/quic.md); or any
   * `Transport<PeerAuth>`. Each link dials its peer through it, and again whenever the
   * connection ends; the link's logic (cursors, backfill, causal holds) does not depend on it.
   */
  readonly peerTransport?: Transport<PeerAuth> | 'ws' | 'quic';
  /**
   * QUIC peer links. With it, or with `peerTransport: 'quic'`, the relay also accepts peer links
   * over QUIC, on the UDP port `quic.port` (default: its HTTP port) of its host.
   */
  readonly quic?: QuicOptions;
  /**
   * How connections are authenticated: a custom hook, a JWT verifier (the default when
   * `jwt` is given), or `anonymous: true` for development, which logs a warning.
   */
  readonly authenticate?: Authenticate;
  readonly jwt?: JwtOptions;
  readonly anonymous?: boolean;
  /**
   * Checked on every subscribe and push. Required with `jwt` or `authenticate`, unless
   * `openAccess` is set: `createRelay` throws otherwise.
   */
  readonly authorize?: Authorize;
  /**
   * Lets every authenticated user read and write every document, without an `authorize` hook.
   * With `jwt` or `authenticate`, the relay refuses to start without either `authorize` or this
   * opt-in, and logs a warning when it is given. Anonymous mode is open by definition and needs
   * no opt-in. Contradicts `authorize`: passing both throws. Default `false`.
   */
  readonly openAccess?: boolean;
  /** Origins allowed to connect from browsers (CORS). Default: none, i.e. same origin only. */
  readonly corsOrigins?: readonly string[] | '*';
  /**
   * Per-connection and per-user limits; each one left out keeps its {@link DEFAULT_LIMITS} value.
   * Each must be a finite positive number, and the three announced in `welcome` integers
   * (`createRelay` throws a `RangeError` otherwise).
   */
  readonly limits?: Partial<ConnectionLimits>;
  readonly decodeLimits?: Partial<DecodeLimits>;
  /** Redis URL for the Socket.IO adapter when several relay nodes serve one region. */
  readonly redisUrl?: string;
  /**
   * Name of the deployment this relay belongs to, e.g. `prod` or `staging`: with `redisUrl`, the
   * nodes' Redis channels are `helios:<deployment>:<region>…`, so nodes hear only the nodes of
   * their own deployment and region on a shared Redis. 1–64 letters, digits, `.`, `_` or `-`
   * (the region too, when Redis is used); `createRelay` throws a `RedisChannelError`
   * otherwise. Default `default`.
   */
  readonly deployment?: string;
  /**
   * How this region's relay hands out and gathers bounded-counter rights (each left out keeps
   * its {@link DEFAULT_RIGHTS_POLICY} value; `createRelay` throws a `RangeError` for a bad one).
   * Each node of a region holds rights of its own, as the replica of its slot of the store
   * (docs/architecture.md §5.2).
   */
  readonly rights?: Partial<RightsPolicy>;
  /**
   * Replica epochs below the number this returns are retired in the deployment
   * (docs/compaction.md): a handshake that binds an id of one is refused (`replica-retired`),
   * and `foldRetired` may fold counters' entries of them. Read at every handshake and fold, and
   * every second to announce the region's closure receipt to its peers, so it can be raised
   * without a restart; raise it in every region. It never goes down: once the relay returned a
   * value it keeps refusing below it, since its closure receipt promised so. Default: 0, none.
   */
  readonly retiredEpochsBelow?: () => number;
  /**
   * The replica epoch clients should mint their ids of now (a lease period of the deployment,
   * docs/compaction.md), announced to each client right after its `welcome` with the retired
   * epochs (`replica-epoch`), never below `retiredEpochsBelow`. Read at every handshake. Absent
   * (the default): nothing is announced, and clients keep their compact ids.
   */
  readonly replicaEpoch?: () => number;
  /**
   * Folds counters of retired replicas automatically once that is causally stable
   * (docs/compaction.md): every `intervalMs`, up to `docsPerTick` documents of which this
   * region is the `foldOwner`. Absent: off, the default (a fold forgets which
   * sent-but-unacknowledged writes of a retired writer arrived; the deployment opts in and
   * picks the grace period).
   */
  readonly autoFold?: AutoFoldOptions;
  /**
   * Changes of a document after which its snapshot is rewritten, once they also weigh as many
   * encoded bytes as the snapshot (so large documents are not re-encoded every few hundred
   * changes). Default: the store's `snapshotEvery` (16 for `SqliteStore`, whose snapshot writes
   * are not synced), else 500 (`PostgresStore`, `MemoryStore`).
   */
  readonly snapshotEvery?: number;
  /** Largest number of changes in one group commit. Default 5000. */
  readonly maxCommitBatch?: number;
  /** Documents kept in memory. Default 10,000. */
  readonly maxCachedDocuments?: number;
  readonly logger?: Logger;
  /** Clock in ms; tests inject one. Default `Date.now`. */
  readonly now?: () => number;
}

/** The default {@link ConnectionLimits}. */
export const DEFAULT_LIMITS: ConnectionLimits = {
  maxMessageBytes: 1024 * 1024,
  maxDeltasPerSecond: 5_000,
  maxDriftMs: 60_000,
  maxMessagesPerSecond: 2_000,
  maxBytesPerSecond: 4 * 1024 * 1024,
  maxUserDeltasPerSecond: 10_000,
  maxUserMessagesPerSecond: 4_000,
  maxUserBytesPerSecond: 8 * 1024 * 1024,
  maxConnectionsPerUser: 64,
  maxReplicaClaimsPerMinute: 120,
  maxQueuedMessages: 64,
  maxQueuedBytes: 1024 * 1024,
  overBudgetCloseMs: 5_000,
  maxSubscriptions: 10_000,
  maxCounterStep: 2 ** 32,
  maxRightsRequestsPerSecond: 5,
  maxPresenceSetsPerSecond: 20,
  maxPresencePerDocument: 100,
  presenceTtlMs: 30_000,
};

/** The limits of a relay: `given` over {@link DEFAULT_LIMITS}. Throws a `RangeError` naming a bad one. */
export function resolveLimits(given: Partial<ConnectionLimits> = {}): ConnectionLimits {
  const limits = { ...DEFAULT_LIMITS, ...given };
  for (const [name, value] of Object.entries(limits)) {
    // The limits announced in `welcome` travel as unsigned integers.
    const integer =
      name === 'maxMessageBytes' || name === 'maxDeltasPerSecond' || name === 'maxDriftMs';
    if (!(Number.isFinite(value) && value > 0 && (!integer || Number.isInteger(value)))) {
      throw new RangeError(
        `limits.${name} must be a positive ${integer ? 'integer' : 'number'}, got ${String(value)}`,
      );
    }
  }
  return limits;
}

/** The automatic fold's schedule (`RelayOptions.autoFold`); each left out has its default. */
export interface AutoFoldOptions {
  /** Time between two ticks of the job, in ms. Default 10,000. */
  readonly intervalMs?: number;
  /**
   * How long after this region closed the retired epochs (its closure receipt) the job waits
   * before folding them, in ms: writers that retired with writes in flight have that long to
   * reconnect and re-base them exactly (docs/compaction.md). Default 86,400,000 (a day).
   */
  readonly graceMs?: number;
  /** Documents looked at per tick, so a tick never holds the event loop long. Default 100. */
  readonly docsPerTick?: number;
}
