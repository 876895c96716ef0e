export { StoreClosedError, StoreError, type StoreErrorCode } from './errors.js';
export { MemoryStore, type MemoryStoreOptions } from './memory-store.js';
export { PostgresStore, type PostgresStoreOptions } from './postgres-store.js';
export type {
  CommitBatch,
  CommitOutcome,
  DocumentValue,
  NewChange,
  RelaySlot,
  RelaySlots,
  RelayStore,
  SlotFence,
  StoredChange,
  StoredDocument,
} from './relay-store.js';
export { SqliteStore, type SqliteStoreOptions } from './sqlite-store.js';
