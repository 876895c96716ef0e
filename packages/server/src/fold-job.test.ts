import {
  AWSet,
  DEFAULT_DECODE_LIMITS,
  GCounter,
  newEpochReplicaId,
  newReplicaId,
  PNCounter,
} from '@helios/core';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { DocumentCache } from './documents.js';
import { FoldJob, resolveAutoFold } from './fold-job.js';
import { RelayMetrics } from './metrics.js';
import { foldOwner } from './retirement.js';
import { MemoryStore } from './store/memory-store.js';

const REGIONS = ['us-east-1', 'eu-west-1'];

/** A store of documents: counters written by an epoch-0 or a compact id, and a set. */
async function storeWith(docs: number) {
  const store = new MemoryStore({ region: 'us-east-1' });
  const change = (doc: string, delta: Uint8Array) => ({ doc, delta, origin: 'us-east-1' });
  for (let i = 0; i < docs; i++) {
    const [type, replica] =
      i % 3 === 0
        ? [PNCounter, newEpochReplicaId(0)]
        : i % 3 === 1
          ? [GCounter, newReplicaId()]
          : [PNCounter, newEpochReplicaId(1)];
    const delta = type.increment(type.empty(), { replica });
    await store.commit({
      changes: [change(`doc:${String(i).padStart(3, '0')}`, type.encode(delta))],
    });
  }
  const set = AWSet.add(AWSet.empty(), { replica: newEpochReplicaId(0) }, 'x');
  await store.commit({ changes: [change('set', AWSet.encode(set))] });
  return store;
}

function jobOver(store: MemoryStore, frontier: () => number, docsPerTick: number) {
  const folded: string[] = [];
  const job = new FoldJob(
    {
      region: 'us-east-1',
      regions: REGIONS,
      store,
      docs: new DocumentCache(store, DEFAULT_DECODE_LIMITS),
      frontier,
      fold: async (doc) => {
        folded.push(doc);
        return true;
      },
      metrics: new RelayMetrics({ region: 'us-east-1' }),
      logger: pino({ level: 'silent' }),
      now: () => 5,
    },
    resolveAutoFold({ docsPerTick }),
  );
  return { job, folded };
}

describe('the scheduled fold job', () => {
  it('looks at docsPerTick documents a tick and folds the counters it owns that list a retired replica', async () => {
    const store = await storeWith(30);
    const { job, folded } = jobOver(store, () => 1, 7);
    await job.tick();
    expect(job.status).toEqual({ scanned: 7, folded: folded.length, passes: 0, lastTickAt: 5 });
    for (let i = 0; i < 4; i++) await job.tick();
    expect(job.status.scanned).toBe(31);
    expect(job.status.passes).toBe(1);
    const expected = Array.from({ length: 30 }, (_, i) => i)
      .filter((i) => i % 3 === 0)
      .map((i) => `doc:${String(i).padStart(3, '0')}`)
      .filter((doc) => foldOwner(doc, REGIONS) === 'us-east-1');
    expect(expected.length).toBeGreaterThan(0);
    expect(folded).toEqual(expected); // not compact ids, not epoch 1, not the set, not eu-west-1's
  });

  it('does nothing while the frontier is not stable', async () => {
    const store = await storeWith(6);
    const { job, folded } = jobOver(store, () => 0, 100);
    await job.tick();
    expect(job.status).toEqual({ scanned: 0, folded: 0, passes: 0, lastTickAt: 5 });
    expect(folded).toEqual([]);
  });

  it('refuses a bad schedule', () => {
    expect(() => resolveAutoFold({ intervalMs: 0 })).toThrow(RangeError);
    expect(() => resolveAutoFold({ graceMs: -1 })).toThrow(RangeError);
    expect(() => resolveAutoFold({ docsPerTick: 1.5 })).toThrow(RangeError);
    expect(resolveAutoFold({})).toEqual({
      intervalMs: 10_000,
      graceMs: 86_400_000,
      docsPerTick: 100,
    });
  });
});
