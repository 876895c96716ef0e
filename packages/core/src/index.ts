/**
 * `@helios/core`: the delta-state CRDT types, their causal metadata, the hybrid logical clock,
 * validation and errors. The wire protocol is at `@helios/core/protocol`, the byte reader and
 * writer at `@helios/core/codec`.
 *
 * @module
 */
export * from './causal/causal-buffer.js';
export * from './causal/causal-context.js';
export * from './causal/causal-order.js';
export * from './causal/context-ranges.js';
export * from './causal/dot.js';
export * from './causal/readiness.js';
export * from './causal/replica-epoch.js';
export * from './causal/replica-id.js';
export * from './causal/version-vector.js';
export * from './clock/hybrid-logical-clock.js';
export * from './clock/timestamp.js';
export * from './codec/limits.js';
export * from './codec/value.js';
export type { DeltaCheck } from './crdt/admission.js';
export * from './crdt/bounded-counter.js';
export type { ConflictDescription, ConflictScope, WriteStamp } from './crdt/conflicts.js';
export * from './crdt/counter.js';
export * from './crdt/crdt-type.js';
export * from './crdt/delta-batch.js';
export type { DotEntry, DotFun } from './crdt/dot-fun.js';
export type { DotMap } from './crdt/dot-map.js';
export type { DotStoreKind, EntryValueKind } from './crdt/dot-store.js';
export type { CounterEntry, LwwEntry } from './crdt/entry-values.js';
export { type JsonValue, jsonOf } from './crdt/json-value.js';
export type { ClockedActor } from './crdt/lww.js';
export * from './crdt/lww-map.js';
export * from './crdt/lww-register.js';
export * from './crdt/mv-register.js';
export * from './crdt/or-map.js';
export * from './crdt/quantity.js';
export * from './crdt/registry.js';
export * from './crdt/sets.js';
export * from './crdt/type-ids.js';
export * from './errors.js';
export * from './protocol/error-codes.js';
export type { DocumentId } from './protocol/messages.js';
export * from './validation/validate-delta.js';
