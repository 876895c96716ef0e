import type { DecodeLimits, RelayLimits } from '@helios/core';
import type { Logger } from 'pino';
import type { Authenticate, Authorize, JwtOptions } from './auth.js';
import type { RelayStore } from './store/relay-store.js';

/** Another region's relay that this relay replicates with. */
export interface PeerConfig {
  /** Socket.IO URL of the peer, e.g. `http://127.0.0.1:4102`. */
  readonly url: string;
  /** The peer's region. Replication status waits for every configured region. */
  readonly region: string;
  /** One-way delay to inject on this link (ms), to simulate distance. Default 0. */
  readonly latencyMs?: number;
}

/** Per-connection limits beyond those announced to clients. */
export interface ConnectionLimits extends RelayLimits {
  /** Protocol messages per second a connection may send (burst: twice that). */
  readonly maxMessagesPerSecond: number;
  /** Documents one connection may subscribe to. */
  readonly maxSubscriptions: number;
  /** Largest counter step one delta may carry. */
  readonly maxCounterStep: number;
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
  /** Changes of a document after which its snapshot is rewritten. Default 500. */
  readonly snapshotEvery?: number;
  /** Largest number of changes in one group commit. Default 5000. */
  readonly maxCommitBatch?: number;
  /** Documents kept in memory. Default 10,000. */
  readonly maxCachedDocuments?: number;
  readonly logger?: Logger;
  /** Clock in ms; tests inject one. Default `Date.now`. */
  readonly now?: () => number;
}

export const DEFAULT_LIMITS: ConnectionLimits = {
  maxMessageBytes: 1024 * 1024,
  maxDeltasPerSecond: 5_000,
  maxDriftMs: 60_000,
  maxMessagesPerSecond: 2_000,
  maxSubscriptions: 10_000,
  maxCounterStep: 2 ** 32,
};
