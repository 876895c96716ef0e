import { type AnyCrdtState, DEFAULT_DECODE_LIMITS, GCounter } from '@helios/core';
import { describe, expect, it } from 'vitest';
import { DocumentCache } from './documents.js';
import { type CaughtUp, documentValues } from './read-model.js';
import { MemoryStore } from './store/memory-store.js';
import type { StoredChange } from './store/relay-store.js';

const here = { replica: 'node-own-client' };
const other = { replica: 'other-node-client' };

/** A GCounter change of `by`'s increment of `n`, as another node committed it at `seq`. */
function change(seq: number, by: { replica: string }, n: number): StoredChange {
  const delta = GCounter.increment(GCounter.empty(), by, n);
  return { seq, doc: 'hits', origin: 'eu', delta: GCounter.encode(delta) };
}

async function setup() {
  const cache = new DocumentCache(new MemoryStore({ region: 'eu' }), DEFAULT_DECODE_LIMITS);
  const doc = await cache.getOrCreate('hits', GCounter);
  const own = GCounter.increment(doc.state, here, 2);
  GCounter.merge(doc.state, own);
  doc.lastSeq = 3;
  const sent: AnyCrdtState[] = [];
  const caughtUp: CaughtUp = (d, bytes, delta) => {
    expect(d).toBe(doc);
    expect(GCounter.equals(GCounter.decode(bytes), delta as never)).toBe(true);
    sent.push(delta);
  };
  const values = await documentValues(
    cache,
    DEFAULT_DECODE_LIMITS,
    true,
    caughtUp,
  )([{ doc: 'hits', origin: 'eu', delta: GCounter.encode(own) }]);
  return { doc, sent, value: values[0]! };
}

describe('documentValues with several nodes: a commit that catches up', () => {
  it('hands what it merged to the subscribers and moves lastSeq past what it read', async () => {
    const { doc, sent, value } = await setup();
    expect(value.basis).toBe(3);
    const json = value.catchUp!({ snapshot: null, snapshotSeq: 0, changes: [change(5, other, 7)] });
    expect(JSON.parse(json)).toBe(9);
    // The other node's change reached this node's memory before its notice: its subscribers
    // get it now, and the notice, when it comes (seq 5 ≤ lastSeq), is known.
    expect(sent).toHaveLength(1);
    expect(GCounter.value(sent[0] as never)).toBe(7);
    expect(doc.lastSeq).toBe(5);
  });

  it('sends nothing for changes the node had merged already (their notices came first)', async () => {
    const { doc, sent, value } = await setup();
    GCounter.merge(doc.state, GCounter.decode(change(5, other, 7).delta));
    value.catchUp!({ snapshot: null, snapshotSeq: 0, changes: [change(5, other, 7)] });
    expect(sent).toEqual([]);
    expect(doc.lastSeq).toBe(5);
  });

  it('sends only what a snapshot past the basis adds', async () => {
    const { doc, sent, value } = await setup();
    const snapshot = GCounter.empty();
    GCounter.merge(snapshot, GCounter.decode(change(4, other, 1).delta));
    GCounter.merge(snapshot, GCounter.increment(GCounter.empty(), here, 2));
    value.catchUp!({
      snapshot: GCounter.encode(snapshot),
      snapshotSeq: 6,
      changes: [],
    });
    // Not the node's own increment of 2, which it had: only the other node's 1.
    expect(sent).toHaveLength(1);
    expect(GCounter.value(sent[0] as never)).toBe(1);
    expect(doc.lastSeq).toBe(6);
  });
});
