import { CausalContext, DEFAULT_DECODE_LIMITS, LWWMap } from '@helios/core';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { RelayDocument } from './documents.js';
import { Snapshots } from './snapshots.js';
import type { RelayStore } from './store/relay-store.js';

/** A store that only records the snapshots saved. */
function recordingStore() {
  const saved: { doc: string; bytes: number; upTo: number }[] = [];
  const store = {
    saveSnapshot: async (doc: string, snapshot: Uint8Array, upTo: number) => {
      saved.push({ doc, bytes: snapshot.length, upTo });
    },
  } as unknown as RelayStore;
  return { store, saved };
}

function docOf(snapshotBytes: number): RelayDocument {
  return {
    id: 'doc',
    type: LWWMap,
    state: LWWMap.empty(),
    lastSeq: 0,
    snapshotSeq: 0,
    changesSinceSnapshot: 0,
    changeBytesSinceSnapshot: 0,
    snapshotBytes,
    subscribers: 0,
    replicated: new CausalContext(),
  };
}

/** Commits `n` changes of `bytes` each to `doc`, as merge-core does, asking for a snapshot each. */
function commit(snapshots: Snapshots, doc: RelayDocument, n: number, bytes: number): void {
  for (let i = 0; i < n; i++) {
    doc.lastSeq++;
    doc.changesSinceSnapshot++;
    doc.changeBytesSinceSnapshot += bytes;
    snapshots.maybeTake(doc);
  }
}

describe('Snapshots', () => {
  const logger = pino({ level: 'silent' });

  it('takes a snapshot after `every` changes once they weigh as much as the last snapshot', async () => {
    const { store, saved } = recordingStore();
    const snapshots = new Snapshots(store, 10, false, DEFAULT_DECODE_LIMITS, logger);
    // A small document: the count decides.
    const small = docOf(0);
    commit(snapshots, small, 9, 40);
    expect(saved).toHaveLength(0);
    commit(snapshots, small, 1, 40);
    await Promise.resolve();
    expect(saved.map((s) => s.upTo)).toEqual([10]);
    // A large one (its last snapshot 4,000 bytes): 10 changes of 40 bytes are not enough, 100 are.
    const large = docOf(4_000);
    commit(snapshots, large, 99, 40);
    expect(saved).toHaveLength(1);
    commit(snapshots, large, 1, 40);
    await Promise.resolve();
    expect(saved.map((s) => s.upTo)).toEqual([10, 100]);
    // The snapshot just taken (of an empty map) is small again: the count decides again.
    expect(large.snapshotBytes).toBe(saved[1]!.bytes);
    commit(snapshots, large, 10, 40);
    await Promise.resolve();
    expect(saved.map((s) => s.upTo)).toEqual([10, 100, 110]);
  });
});
