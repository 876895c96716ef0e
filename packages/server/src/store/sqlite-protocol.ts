import type { PackedBatch } from './commit-packing.js';
import type { SqliteEngine } from './sqlite-engine.js';

/** What a {@link SqliteStore} asks its worker: `open` first, then engine methods. */
export type EngineMethod =
  | 'open'
  | 'load'
  | 'commit'
  | 'saveSnapshots'
  | 'readFeed'
  | 'feedStart'
  | 'documents'
  | 'getCursor'
  | 'release'
  | 'compactFeed'
  | 'claimReplicas'
  | 'lastSeq'
  | 'countChanges'
  | 'close';

/**
 * The arguments of a method: the engine's (`open` takes its options as the worker's data), but a
 * commit's batch travels packed (see commit-packing.ts).
 */
export type EngineArgs<M extends EngineMethod> = M extends 'commit'
  ? [PackedBatch]
  : M extends Exclude<EngineMethod, 'open'>
    ? Parameters<SqliteEngine[M]>
    : [];

/** A call from the store to its worker. */
export interface EngineCall<M extends EngineMethod = EngineMethod> {
  readonly id: number;
  readonly method: M;
  readonly args: EngineArgs<M>;
}

/**
 * The worker's answer to call `id`: its value, or the error it threw. `code` is set when that
 * was a StoreError, which the store throws again as one.
 */
export type EngineReply =
  | { readonly id: number; readonly value: unknown; readonly error?: undefined }
  | {
      readonly id: number;
      readonly error: { readonly message: string; readonly stack?: string; readonly code?: string };
    };
