export type { PeerAuth } from '@helios/core/protocol';
export { socketParser } from '@helios/transport';
export type { AdminDocument, AdminReplication } from './admin-http.js';
export {
  type Access,
  type Authenticate,
  type Authorize,
  allowAll,
  anonymousAuthenticate,
  type HandshakeInfo,
  type JwtOptions,
  jwtAuthenticate,
  type RelayUser,
} from './auth.js';
export { CONFLICT_HISTORY, type RelayConflict } from './conflict-log.js';
export { type EpochCalendarOptions, epochCalendar } from './epoch-calendar.js';
export { RelayError, type RelayErrorCode } from './errors.js';
export type { FoldJobStatus } from './fold-job.js';
export { type Closure, type PeerClosure, stableFrontier } from './fold-stability.js';
export type { RelayHooks } from './hooks-module.js';
export type { RelayMetrics } from './metrics.js';
export type { AdminFold } from './node-folding.js';
export type {
  AutoFoldOptions,
  ConnectionLimits,
  PeerConfig,
  QuicOptions,
  RelayOptions,
} from './options.js';
export { DEFAULT_LIMITS } from './options.js';
export {
  DEFAULT_DEPLOYMENT,
  RedisChannelError,
  type RedisChannelErrorCode,
  redisChannelKey,
} from './redis-channels.js';
export { createRelay, type Relay } from './relay.js';
export type { PeerFeedStatus } from './replication.js';
export { foldOwner } from './retirement.js';
export { DEFAULT_RIGHTS_POLICY, type RightsPolicy, resolveRightsPolicy } from './rights-desk.js';
export { MemoryStore, type MemoryStoreOptions } from './store/memory-store.js';
export { PostgresStore, type PostgresStoreOptions } from './store/postgres-store.js';
export * from './store/relay-store.js';
export { SqliteStore, type SqliteStoreOptions } from './store/sqlite-store.js';
