import {
  type AnyCrdtState,
  CausalContext,
  type ClockedActor,
  LWWRegister,
  MVRegister,
} from '@helios/core';
import { Counter, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { ConflictLog } from './conflict-log.js';
import type { RelayDocument } from './documents.js';

const actor = (replica: string, wall: number): ClockedActor => ({
  replica,
  now: () => ({ wall, counter: 0, replica }),
});

/** A document holding `a`'s write, into which `b`'s concurrent write is merged. */
function raced(id: string): { doc: RelayDocument; delta: AnyCrdtState } {
  const state = LWWRegister.set(LWWRegister.empty(), actor('a', 1), 'a');
  const delta = LWWRegister.set(LWWRegister.empty(), actor('b', 2), 'b');
  LWWRegister.merge(state, delta);
  const doc = {
    id,
    type: LWWRegister,
    state,
    lastSeq: 0,
    snapshotSeq: 0,
    changesSinceSnapshot: 0,
    changeBytesSinceSnapshot: 0,
    snapshotBytes: 0,
    subscribers: 0,
    replicated: new CausalContext(),
  } as RelayDocument;
  return { doc, delta };
}

function counter(): Counter<'type'> {
  return new Counter({ name: 'c', help: 'c', labelNames: ['type'], registers: [new Registry()] });
}

describe('ConflictLog', () => {
  it('counts and keeps the last conflicts, newest first, bounded, per document on request', async () => {
    const total = counter();
    const log = new ConflictLog(total, () => 7, 3);
    for (const id of ['d1', 'd2', 'd1', 'd2']) {
      const { doc, delta } = raced(id);
      log.merged(doc, delta);
    }
    expect((await total.get()).values[0]!.value).toBe(4);
    const recent = log.recent();
    expect(recent.map((c) => c.doc)).toEqual(['d2', 'd1', 'd2']); // the oldest fell out
    expect(recent[0]).toMatchObject({
      type: 'lww-register',
      kind: 'lww-overwrite',
      winner: { replica: 'b', wall: 2 },
      losers: [{ replica: 'a', wall: 1 }],
      at: 7,
    });
    expect(log.recent('d1').map((c) => c.doc)).toEqual(['d1']);
    expect(log.recent('nothing')).toEqual([]);
  });

  it('keeps nothing for a merge without conflict', async () => {
    const total = counter();
    const log = new ConflictLog(total, () => 0);
    const state = MVRegister.set(MVRegister.empty(), actor('a', 1), 1);
    const delta = MVRegister.set(state, actor('a', 1), 2); // on top of the first
    MVRegister.merge(state, delta);
    log.merged({ ...raced('x').doc, type: MVRegister, state } as RelayDocument, delta);
    expect(log.recent()).toEqual([]);
    expect((await total.get()).values).toEqual([]);
  });
});
