export {
  type Handshake,
  SocketIoTransport,
  type SocketIoTransportOptions,
  type Transport,
  type TransportConnection,
  type TransportEvents,
  type TransportRefusal,
} from '@helios/transport';
export { BACKOFF_FIRST_MS, BACKOFF_MAX_MS, backoffMs } from './backoff.js';
export { BoundedCounterHandle, LEASE_IDLE_MS } from './bounded-counter-handle.js';
export { createClient, HeliosClient } from './client.js';
export { ClientError, type ClientErrorCode, RefusedWriteError } from './client-error.js';
export {
  type ClientEvent,
  ClientEventLog,
  type ClientEvents,
  type ConflictEvent,
  type ConflictWrite,
  type ConnectionEvent,
  EVENT_HISTORY,
  type OutboxEvent,
  type WriteEvent,
  type WriteStage,
} from './client-events.js';
export { type Clock, systemClock, type TimerHandle } from './clock.js';
export { DocumentShortcuts } from './document-shortcuts.js';
export type { DocumentSnapshot } from './document-snapshot.js';
export type { HandleOf } from './handle-table.js';
export {
  AWSetHandle,
  CounterHandle,
  CrdtMapHandle,
  DocumentHandle,
  ElementSetHandle,
  type ElementSetType,
  GCounterHandle,
  LWWMapHandle,
  MVRegisterHandle,
  ORSetHandle,
  QuantityHandle,
  RegisterHandle,
  RWSetHandle,
} from './handles.js';
export type { ClientOptions } from './options.js';
export { IdbPersistence, type LocalDurability } from './persistence/idb-persistence.js';
export { MemoryPersistence } from './persistence/memory-persistence.js';
export type {
  ClientPersistence,
  CommitBatch,
  OutboxEntry,
  PendingWrite,
  StoredDocument,
} from './persistence/persistence.js';
export { PersistenceError } from './persistence/persistence.js';
export {
  PRESENCE_MIN_INTERVAL_MS,
  PRESENCE_REFRESH_MS,
  PresenceHandle,
  type PresencePeer,
} from './presence-handle.js';
export { type DurabilityLevel, Receipt, type TrailObserver } from './receipt.js';
export type { ClientRights, Drawn } from './rights-requests.js';
export type { ClientStatus, StorageProblem, StorageStatus } from './status.js';
export {
  type MemoryDirection,
  type MemoryEndpoint,
  type MemoryNetwork,
  type MemoryPeer,
  type MemoryRefusal,
  MemoryTransport,
  type MemoryTransportOptions,
} from './transport/memory-transport.js';
