/**
 * One behavioural suite for every {@link RelayStore} implementation (the automerge-repo way):
 * each store's test file calls {@link describeRelayStoreConformance} with a factory, so the
 * memory, SQLite and Postgres stores are held to exactly the same contract.
 */
import { randomBytes } from 'node:crypto';
import { createRng } from '@helios/test-kit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StoreClosedError, StoreError } from '../store/errors.js';
import type { NewChange, RelayStore } from '../store/relay-store.js';

/** A store under test: the contract plus a retained-row count that shows reclamation. */
export interface ConformanceStore extends RelayStore {
  countChanges(): Promise<number>;
}

/** A fresh, empty store on storage of its own, and how to get rid of both. */
export interface StoreHarness {
  readonly store: ConformanceStore;
  /** Closes the store (and any reopened one) if still open and deletes its storage. */
  cleanup(): Promise<void>;
  /** Opens the same storage again, after `store` was closed. Only for persistent stores. */
  reopen?(): Promise<ConformanceStore>;
}

export interface ConformanceCapabilities {
  /** The store keeps its data across close and reopen (the harness provides `reopen`). */
  readonly persistent: boolean;
}

const REGION = 'eu';
const PEER = 'us';

export function describeRelayStoreConformance(
  name: string,
  makeStore: (region: string) => Promise<StoreHarness>,
  capabilities: ConformanceCapabilities,
): void {
  describe(`${name}: RelayStore conformance`, () => {
    let harness: StoreHarness;
    let store: ConformanceStore;

    beforeEach(async () => {
      harness = await makeStore(REGION);
      store = harness.store;
    });
    afterEach(async () => {
      await harness.cleanup();
    });

    it('load resolves undefined for a document never committed', async () => {
      expect(await store.load('nope')).toBeUndefined();
      await store.commit({ changes: [change('a', REGION, [1])] });
      expect(await store.load('nope')).toBeUndefined();
    });

    it('commit returns one increasing seq per change, in batch order', async () => {
      const first = await store.commit({
        changes: [change('a', REGION, [1]), change('b', PEER, [2]), change('a', REGION, [3])],
      });
      const second = await store.commit({
        changes: [change('c', PEER, [4]), change('a', PEER, [5])],
      });
      expect(first).toHaveLength(3);
      expect(second).toHaveLength(2);
      expectIncreasing([0, ...first, ...second]);
    });

    it('an empty batch assigns no seq but still stores its cursors', async () => {
      expect(await store.commit({ changes: [] })).toEqual([]);
      expect(await store.commit({ changes: [], cursors: [{ peer: PEER, upTo: 7 }] })).toEqual([]);
      expect(await store.getCursor(PEER)).toBe(7);
    });

    it('load returns the changes of one document in seq order with origin and bytes', async () => {
      const s1 = await store.commit({
        changes: [change('a', REGION, [1]), change('b', REGION, [9])],
      });
      const s2 = await store.commit({
        changes: [change('a', PEER, [2]), change('a', REGION, [3])],
      });
      const doc = await store.load('a');
      expect(doc).toEqual({
        snapshot: null,
        snapshotSeq: 0,
        changes: [
          { seq: s1[0], doc: 'a', origin: REGION, delta: bytes(1) },
          { seq: s2[0], doc: 'a', origin: PEER, delta: bytes(2) },
          { seq: s2[1], doc: 'a', origin: REGION, delta: bytes(3) },
        ],
      });
    });

    it('saveSnapshot then load returns the snapshot and only the changes after it', async () => {
      const early = await store.commit({
        changes: [change('a', PEER, [1]), change('a', REGION, [2])],
      });
      const late = await store.commit({
        changes: [change('a', PEER, [3]), change('b', PEER, [4])],
      });
      await store.saveSnapshot('a', bytes(7, 7), early[1]!);
      const doc = await store.load('a');
      expect(doc?.snapshot).toEqual(bytes(7, 7));
      expect(doc?.snapshotSeq).toBe(early[1]);
      expect(doc?.changes).toEqual([{ seq: late[0], doc: 'a', origin: PEER, delta: bytes(3) }]);
      // A document whose every change a snapshot covers still loads (from the snapshot alone).
      await store.saveSnapshot('a', bytes(8), late[0]!);
      expect(await store.load('a')).toEqual({
        snapshot: bytes(8),
        snapshotSeq: late[0],
        changes: [],
      });
    });

    it('a snapshot older than the stored one does not replace it', async () => {
      const seqs = await store.commit({
        changes: [change('a', PEER, [1]), change('a', PEER, [2])],
      });
      await store.saveSnapshot('a', bytes(2), seqs[1]!);
      await store.saveSnapshot('a', bytes(1), seqs[0]!);
      expect(await store.load('a')).toEqual({
        snapshot: bytes(2),
        snapshotSeq: seqs[1],
        changes: [],
      });
    });

    it('saveSnapshot and release refuse a position past the last commit', async () => {
      const [seq] = await store.commit({ changes: [change('a', REGION, [1])] });
      await expectStoreError(store.saveSnapshot('a', bytes(1), seq! + 1), 'invalid-argument');
      await expectStoreError(store.release(seq! + 1), 'invalid-argument');
      expect(await store.load('a')).toMatchObject({ snapshot: null, snapshotSeq: 0 });
    });

    it('saveSnapshot deletes covered changes of other origins, keeps the feed until release', async () => {
      const seqs = await store.commit({
        changes: [
          change('a', PEER, [1]),
          change('a', REGION, [2]),
          change('a', PEER, [3]),
          change('a', REGION, [4]),
          change('b', REGION, [5]),
        ],
      });
      await store.saveSnapshot('a', bytes(9), seqs[3]!);
      expect(await store.countChanges()).toBe(3);
      expect((await store.readFeed(0, 100)).map((c) => c.seq)).toEqual([seqs[1], seqs[3], seqs[4]]);
      expect((await store.load('a'))?.changes).toEqual([]);
      await store.release(seqs[4]!);
      // Feed changes a snapshot covers go; `b` has no snapshot, so its change stays.
      expect(await store.countChanges()).toBe(1);
      expect((await store.readFeed(0, 100)).map((c) => c.seq)).toEqual([seqs[4]]);
    });

    it('release first, then a snapshot deletes the released feed changes it covers', async () => {
      const seqs = await store.commit({
        changes: [change('a', REGION, [1]), change('a', REGION, [2]), change('a', REGION, [3])],
      });
      await store.release(seqs[0]!);
      expect(await store.countChanges()).toBe(3);
      await store.saveSnapshot('a', bytes(9), seqs[2]!);
      // Only the released one goes; the others wait for the peers.
      expect((await store.readFeed(0, 100)).map((c) => c.seq)).toEqual([seqs[1], seqs[2]]);
      await store.release(seqs[2]!);
      expect(await store.countChanges()).toBe(0);
      expect(await store.readFeed(0, 100)).toEqual([]);
      // Releasing less than before keeps the higher mark.
      await store.release(seqs[0]!);
      const [next] = await store.commit({ changes: [change('a', REGION, [4])] });
      await store.saveSnapshot('a', bytes(10), next!);
      expect((await store.readFeed(0, 100)).map((c) => c.seq)).toEqual([next]);
    });

    it('readFeed returns only own-origin changes after a seq, in order, at most limit', async () => {
      const seqs = await store.commit({
        changes: [
          change('a', REGION, [1]),
          change('b', PEER, [2]),
          change('b', REGION, [3]),
          change('c', 'ap', [4]),
          change('a', REGION, [5]),
        ],
      });
      const feed = await store.readFeed(0, 100);
      expect(feed).toEqual([
        { seq: seqs[0], doc: 'a', origin: REGION, delta: bytes(1) },
        { seq: seqs[2], doc: 'b', origin: REGION, delta: bytes(3) },
        { seq: seqs[4], doc: 'a', origin: REGION, delta: bytes(5) },
      ]);
      expect((await store.readFeed(seqs[0]!, 1)).map((c) => c.seq)).toEqual([seqs[2]]);
      expect((await store.readFeed(seqs[1]!, 100)).map((c) => c.seq)).toEqual([seqs[2], seqs[4]]);
      expect(await store.readFeed(seqs[4]!, 100)).toEqual([]);
      expect(await store.readFeed(0, 0)).toEqual([]);
    });

    it('has an epoch of its own: a non-empty string, different for another store', async () => {
      expect(store.epoch).toMatch(/^\S+$/);
      const other = await makeStore(REGION);
      try {
        expect(other.store.epoch).not.toBe(store.epoch);
      } finally {
        await other.cleanup();
      }
    });

    it('feedStart is where release left the feed, and never moves back', async () => {
      expect(await store.feedStart()).toBe(0);
      const seqs = await store.commit({
        changes: [change('a', REGION, [1]), change('a', PEER, [2]), change('b', REGION, [3])],
      });
      await store.release(seqs[1]!);
      expect(await store.feedStart()).toBe(seqs[1]);
      await store.release(seqs[0]!);
      expect(await store.feedStart()).toBe(seqs[1]);
    });

    it('keeps every own-origin change above feedStart in the feed (randomized)', async () => {
      const random = createRng(0x5eed).next; // seeded, so that a failure replays
      const docs = ['a', 'b', 'c', 'd'];
      const own: { seq: number; doc: string }[] = [];
      let head = 0;
      for (let step = 0; step < 200; step++) {
        const roll = random();
        const doc = docs[Math.floor(random() * docs.length)]!;
        if (roll < 0.6) {
          const origin = random() < 0.7 ? REGION : PEER;
          const [seq] = await store.commit({ changes: [change(doc, origin, [step % 256])] });
          head = seq!;
          if (origin === REGION) own.push({ seq: seq!, doc });
        } else if (roll < 0.85 && head > 0) {
          await store.saveSnapshot(doc, bytes(step % 256), Math.ceil(random() * head));
        } else if (head > 0) {
          await store.release(Math.floor(random() * head));
        }
      }
      const start = await store.feedStart();
      const feed = await store.readFeed(start, 10_000);
      expect(feed.map((c) => c.seq)).toEqual(own.filter((c) => c.seq > start).map((c) => c.seq));
    });

    it('documents pages through every committed document once, by id', async () => {
      const ids = Array.from({ length: 23 }, (_, i) => `doc-${String(i).padStart(2, '0')}`);
      for (const id of ids) {
        await store.commit({ changes: [change(id, id.endsWith('3') ? PEER : REGION, [1])] });
      }
      await store.saveSnapshot('doc-05', bytes(2), await store.lastSeq('doc-05'));
      expect(await store.documents('', 0)).toEqual([]);
      const seen: string[] = [];
      let after = '';
      for (;;) {
        const page = await store.documents(after, 5);
        expect(page.length).toBeLessThanOrEqual(5);
        if (page.length === 0) break;
        seen.push(...page);
        after = page[page.length - 1]!;
      }
      expect(seen).toEqual(ids);
      expect(await store.documents('doc-20', 100)).toEqual(['doc-21', 'doc-22']);
    });

    it('cursors are stored with the commit and only move forward', async () => {
      expect(await store.getCursor(PEER)).toBe(0);
      await store.commit({
        changes: [change('a', PEER, [1])],
        cursors: [
          { peer: PEER, upTo: 10 },
          { peer: 'ap', upTo: 3 },
          { peer: PEER, upTo: 4 },
        ],
      });
      expect(await store.getCursor(PEER)).toBe(10);
      expect(await store.getCursor('ap')).toBe(3);
      await store.commit({ changes: [], cursors: [{ peer: PEER, upTo: 5 }] });
      expect(await store.getCursor(PEER)).toBe(10);
      await store.commit({ changes: [], cursors: [{ peer: PEER, upTo: 12 }] });
      expect(await store.getCursor(PEER)).toBe(12);
      expect(await store.getCursor('nobody')).toBe(0);
    });

    it('claimReplica binds a replica to the first user that claims it', async () => {
      expect(await store.claimReplica('r1', 'alice')).toBe('alice');
      expect(await store.claimReplica('r1', 'alice')).toBe('alice');
      expect(await store.claimReplica('r1', 'bob')).toBe('alice');
      expect(await store.claimReplica('r2', 'bob')).toBe('bob');
      const racing = await Promise.all(
        ['u1', 'u2', 'u3', 'u4'].map((user) => store.claimReplica('r3', user)),
      );
      expect(new Set(racing).size).toBe(1);
    });

    it('lastSeq is the highest committed seq of a document, also after a snapshot', async () => {
      expect(await store.lastSeq('a')).toBe(0);
      const seqs = await store.commit({
        changes: [change('a', PEER, [1]), change('b', PEER, [2]), change('a', PEER, [3])],
      });
      await store.commit({ changes: [change('b', PEER, [4])] });
      expect(await store.lastSeq('a')).toBe(seqs[2]);
      await store.saveSnapshot('a', bytes(5), seqs[2]!);
      expect(await store.countChanges()).toBe(2);
      expect(await store.lastSeq('a')).toBe(seqs[2]);
    });

    it('concurrent commits all land, with increasing seqs in call order', async () => {
      const calls = Array.from({ length: 60 }, (_, i) =>
        store.commit({
          changes: Array.from({ length: 1 + (i % 4) }, (_, j) =>
            change(`d${i % 3}`, i % 2 === 0 ? REGION : PEER, [i, j]),
          ),
          cursors: [{ peer: PEER, upTo: i }],
        }),
      );
      const results = await Promise.all(calls);
      const all = results.flat();
      expectIncreasing(all);
      expect(results.map((seqs) => seqs.length)).toEqual(results.map((_, i) => 1 + (i % 4)));
      for (let d = 0; d < 3; d++) {
        const loaded = (await store.load(`d${d}`))?.changes ?? [];
        const expected = results.flatMap((seqs, i) =>
          i % 3 === d ? seqs.map((seq, j) => ({ seq, delta: bytes(i, j) })) : [],
        );
        expect(loaded.map((c) => ({ seq: c.seq, delta: c.delta }))).toEqual(expected);
      }
      expect(await store.getCursor(PEER)).toBe(59);
    });

    // Only stores that persist have this case; a memory store does not register it.
    if (capabilities.persistent) {
      it('data survives close and reopen', async () => {
        const seqs = await store.commit({
          changes: [change('a', REGION, [1]), change('a', PEER, [2]), change('b', REGION, [3])],
          cursors: [{ peer: PEER, upTo: 42 }],
        });
        await store.saveSnapshot('a', bytes(6), seqs[1]!);
        await store.release(seqs[0]!);
        await store.claimReplica('r1', 'alice');
        const before = { a: await store.load('a'), b: await store.load('b') };
        const feed = await store.readFeed(0, 100);
        await store.close();

        const again = await harness.reopen!();
        expect(again.epoch).toBe(store.epoch);
        expect(await again.feedStart()).toBe(seqs[0]);
        expect(await again.documents('', 10)).toEqual(['a', 'b']);
        expect(await again.load('a')).toEqual(before.a);
        expect(await again.load('b')).toEqual(before.b);
        expect(await again.readFeed(0, 100)).toEqual(feed);
        expect(await again.getCursor(PEER)).toBe(42);
        expect(await again.claimReplica('r1', 'bob')).toBe('alice');
        expect(await again.lastSeq('a')).toBe(seqs[1]);
        expect(await again.countChanges()).toBe(1);
        // Seqs continue after the old ones, even though the newest rows were deleted.
        const [next] = await again.commit({ changes: [change('c', PEER, [4])] });
        expect(next).toBeGreaterThan(seqs[2]!);
        await again.close();
      });
    }

    it('bytes round-trip exactly: empty, every byte value, 1 MB, views into larger buffers', async () => {
      const big = new Uint8Array(randomBytes(1024 * 1024));
      const everyByte = Uint8Array.from({ length: 256 }, (_, i) => i);
      const backing = Uint8Array.from({ length: 64 }, (_, i) => 255 - i);
      const view = backing.subarray(5, 37);
      const buffer = Buffer.from([0, 1, 0, 255, 0]);
      const deltas = [new Uint8Array(0), everyByte, big, view, buffer];
      const seqs = await store.commit({
        changes: deltas.map((delta) => ({ doc: 'a', origin: REGION, delta })),
      });
      // The caller reusing its arrays afterwards must not change what was stored.
      const expected = deltas.map((d) => new Uint8Array(d));
      backing.fill(0);
      buffer.fill(7);

      const loaded = (await store.load('a'))!.changes;
      const feed = await store.readFeed(0, 100);
      expect(loaded.map((c) => c.seq)).toEqual(seqs);
      for (const [i, want] of expected.entries()) {
        expectBytes(loaded[i]!.delta, want);
        expectBytes(feed[i]!.delta, want);
      }
      await store.saveSnapshot('a', big, seqs[1]!);
      expectBytes((await store.load('a'))!.snapshot!, big);
      await store.saveSnapshot('a', new Uint8Array(0), seqs[4]!);
      expectBytes((await store.load('a'))!.snapshot!, new Uint8Array(0));
    });

    it('commits 10k changes in one batch', async () => {
      const changes = Array.from({ length: 10_000 }, (_, i) =>
        change(`doc${i % 10}`, i % 2 === 0 ? REGION : PEER, [i & 255, i >> 8]),
      );
      const seqs = await store.commit({ changes });
      expect(seqs).toHaveLength(10_000);
      expectIncreasing(seqs);
      const doc3 = (await store.load('doc3'))!.changes;
      expect(doc3).toHaveLength(1000);
      expect(doc3[999]).toEqual({
        seq: seqs[9993],
        doc: 'doc3',
        origin: PEER,
        delta: bytes(9993 & 255, 39),
      });
      const feed = await store.readFeed(0, 10_000);
      expect(feed.map((c) => c.seq)).toEqual(seqs.filter((_, i) => i % 2 === 0));
      expect(await store.countChanges()).toBe(10_000);
    });

    it('refuses bad arguments with a StoreError, writing nothing', async () => {
      const bad = { doc: 'a', origin: REGION, delta: [1, 2] as unknown as Uint8Array };
      await expectStoreError(
        store.commit({ changes: [change('a', REGION, [1]), bad] }),
        'invalid-argument',
      );
      expect(await store.load('a')).toBeUndefined();
      await expectStoreError(store.readFeed(-1, 10), 'invalid-argument');
      await expectStoreError(store.readFeed(0, 1.5), 'invalid-argument');
      await expectStoreError(store.documents('', -1), 'invalid-argument');
      await expectStoreError(
        store.commit({ changes: [], cursors: [{ peer: PEER, upTo: -1 }] }),
        'invalid-argument',
      );
    });

    it('a closed store rejects every call with StoreClosedError; close is idempotent', async () => {
      await store.commit({ changes: [change('a', REGION, [1])] });
      await store.close();
      await store.close();
      const calls: Promise<unknown>[] = [
        store.load('a'),
        store.commit({ changes: [change('a', REGION, [2])] }),
        store.saveSnapshot('a', bytes(1), 1),
        store.readFeed(0, 10),
        store.getCursor(PEER),
        store.release(1),
        store.feedStart(),
        store.documents('', 1),
        store.claimReplica('r', 'u'),
        store.lastSeq('a'),
      ];
      for (const call of calls) {
        await expect(call).rejects.toBeInstanceOf(StoreClosedError);
      }
    });
  });
}

function change(doc: string, origin: string, delta: number[]): NewChange {
  return { doc, origin, delta: bytes(...delta) };
}

function bytes(...values: number[]): Uint8Array {
  return Uint8Array.from(values);
}

function expectIncreasing(seqs: readonly number[]): void {
  for (let i = 1; i < seqs.length; i++) {
    if (!(seqs[i]! > seqs[i - 1]!)) {
      throw new Error(`seqs not increasing at ${i}: ${seqs[i - 1]} then ${seqs[i]}`);
    }
  }
}

/** Byte-for-byte equality, and a plain Uint8Array (not a driver's Buffer) as the contract says. */
function expectBytes(actual: Uint8Array, expected: Uint8Array): void {
  expect(actual.constructor).toBe(Uint8Array);
  expect(actual.byteLength).toBe(expected.byteLength);
  expect(Buffer.compare(actual, expected)).toBe(0);
}

async function expectStoreError(call: Promise<unknown>, code: StoreError['code']): Promise<void> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StoreError);
  expect((error as StoreError).code).toBe(code);
}
