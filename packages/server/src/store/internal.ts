/**
 * Argument checks and byte helpers shared by the store implementations. Not exported from the
 * package: the checks exist so that every implementation refuses the same bad input the same way.
 */

import { StoreError } from './errors.js';
import type { CommitBatch } from './relay-store.js';

/** Refuses anything that is not a seq (a non-negative safe integer). */
export function checkSeq(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new StoreError(
      'invalid-argument',
      `${name} must be a non-negative integer, got ${value}`,
    );
  }
}

/** Refuses an empty or non-string name: an origin, region, peer, replica or user id. */
export function checkName(name: string, value: string): void {
  if (typeof value !== 'string' || value.length === 0) {
    throw new StoreError('invalid-argument', `${name} must be a non-empty string`);
  }
}

/**
 * Checks a whole batch before anything is written, so a bad change cannot leave half a batch
 * behind in the stores that write row by row.
 */
export function checkBatch(batch: CommitBatch): void {
  for (const change of batch.changes) {
    if (typeof change.doc !== 'string') {
      throw new StoreError('invalid-argument', 'change.doc must be a string');
    }
    checkName('change.origin', change.origin);
    if (!(change.delta instanceof Uint8Array)) {
      throw new StoreError(
        'invalid-argument',
        `change.delta of ${change.doc} must be a Uint8Array`,
      );
    }
  }
  for (const value of batch.values ?? []) {
    if (typeof value.doc !== 'string' || typeof value.json !== 'string') {
      throw new StoreError('invalid-argument', 'value.doc and value.json must be strings');
    }
    checkName('value.type', value.type);
  }
  for (const cursor of batch.cursors ?? []) {
    checkName('cursor.peer', cursor.peer);
    checkSeq('cursor.upTo', cursor.upTo);
  }
}

/**
 * The highest position per peer: a batch may name one peer twice, and the stores that upsert
 * one row per peer in a single statement need each peer once.
 */
export function highestCursors(batch: CommitBatch): Map<string, number> {
  const highest = new Map<string, number>();
  for (const { peer, upTo } of batch.cursors ?? []) {
    highest.set(peer, Math.max(highest.get(peer) ?? 0, upTo));
  }
  return highest;
}

/**
 * A plain Uint8Array owning exactly its bytes. Drivers return Buffers, which may be views into a
 * shared pool; callers compare and keep deltas as Uint8Array, so copy unless the buffer is
 * already the whole of its memory.
 */
export function ownBytes(bytes: Uint8Array): Uint8Array {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength) {
    return new Uint8Array(bytes.buffer, 0, bytes.byteLength);
  }
  return new Uint8Array(bytes);
}

/** Refuses a snapshot or release position past the last committed seq (see the callers). */
export function checkNotAhead(name: string, value: number, head: number): void {
  const error = aheadError(name, value, head);
  if (error !== undefined) throw error;
}

/** The error {@link checkNotAhead} throws, or undefined where it throws none. */
export function aheadError(name: string, value: number, head: number): StoreError | undefined {
  return value > head
    ? new StoreError(
        'invalid-argument',
        `${name} ${value} is past the last committed seq ${head}; it would cover changes not yet made`,
      )
    : undefined;
}
