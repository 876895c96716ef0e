import { type AnyCrdtState, DEFAULT_DECODE_LIMITS, decodeState, GCounter } from '@helios/core';
import { describe, expect, it } from 'vitest';
import { DocumentCache, type RelayDocument } from './documents.js';
import { mergeHeardChanges } from './heard-changes.js';
import type { NodeChange } from './relay-socket.js';
import { MemoryStore } from './store/memory-store.js';

/**
 * Another node's commit, at `seq` after `prior` (as its notice says), of `n` increments by a
 * client of its own (one per change, so that the counts add up).
 */
function heard(seq: number, n: number, prior?: number): NodeChange {
  const by = { replica: `client-of-change-${seq}` };
  const delta = GCounter.encode(GCounter.increment(GCounter.empty(), by, n));
  return {
    seq,
    doc: 'hits',
    origin: 'us-east-1',
    delta: Buffer.from(delta).toString('base64'),
    ...(prior === undefined ? {} : { prior }),
  };
}

/** A node holding `hits` (every stored change up to seq 3 merged), and what it fans out. */
async function setup() {
  const docs = new DocumentCache(new MemoryStore({ region: 'us-east-1' }), DEFAULT_DECODE_LIMITS);
  const doc = await docs.getOrCreate('hits', GCounter);
  doc.lastSeq = 3;
  const node = {
    docs,
    mergeBytes(target: RelayDocument, bytes: Uint8Array): AnyCrdtState | undefined {
      try {
        const { state } = decodeState(bytes, DEFAULT_DECODE_LIMITS);
        target.type.merge(target.state, state);
        return state;
      } catch {
        return undefined;
      }
    },
  };
  const sent: number[] = [];
  const hear = (...changes: NodeChange[]) =>
    mergeHeardChanges(node, changes, (_doc, _bytes, delta) =>
      sent.push(GCounter.value(delta as never)),
    );
  return { doc, hear, sent };
}

describe('mergeHeardChanges', () => {
  it('moves lastSeq along a chain of priors: the node then holds every change up to it', async () => {
    const { doc, hear, sent } = await setup();
    hear(heard(5, 1, 3));
    expect(doc.lastSeq).toBe(5);
    hear(heard(6, 2, 5), heard(9, 4, 6));
    expect(doc.lastSeq).toBe(9);
    expect(sent).toEqual([1, 2, 4]);
    expect(GCounter.value(doc.state as never)).toBe(7);
  });

  it('merges a change whose predecessor it lacks, but leaves lastSeq before the gap', async () => {
    const { doc, hear, sent } = await setup();
    hear(heard(8, 4, 5)); // seq 5's notice has not come: lastSeq must not pass it
    expect(doc.lastSeq).toBe(3);
    expect(sent).toEqual([4]);
    hear(heard(5, 1, 3));
    expect(doc.lastSeq).toBe(5);
    expect(GCounter.value(doc.state as never)).toBe(5);
  });

  it('leaves lastSeq to store reads for a change without a prior (an older node)', async () => {
    const { doc, hear, sent } = await setup();
    hear(heard(4, 1));
    expect(doc.lastSeq).toBe(3);
    expect(sent).toEqual([1]);
  });

  it('skips known changes, and does not move lastSeq past one it could not merge', async () => {
    const { doc, hear, sent } = await setup();
    hear(heard(3, 1, 2));
    expect(sent).toEqual([]);
    hear({ ...heard(4, 1, 3), delta: Buffer.from([0xff, 0x00]).toString('base64') });
    expect(doc.lastSeq).toBe(3);
    expect(sent).toEqual([]);
    expect(GCounter.value(doc.state as never)).toBe(0);
  });
});
