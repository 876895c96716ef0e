import { describe, expect, it } from 'vitest';
import { TurnBatches } from './turn-batches.js';
import type { ReplicaClaim } from './worker-writes.js';

/** A writer that binds like a store (first claimant wins, batches in order) and records them. */
function recordingWriter() {
  const owners = new Map<string, string>();
  const batches: ReplicaClaim[][] = [];
  const write = async (claims: readonly ReplicaClaim[]) => {
    batches.push([...claims]);
    return claims.map(({ replica, user }) => {
      if (!owners.has(replica)) owners.set(replica, user);
      return owners.get(replica)!;
    });
  };
  return { write, batches };
}

/** Batches of claims, as SqliteStore makes them. */
const claimBatches = (write: (claims: readonly ReplicaClaim[]) => Promise<readonly string[]>) =>
  new TurnBatches(write, 1_000);

const claim = (replica: string, user: string): ReplicaClaim => ({ replica, user });

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('TurnBatches (of replica claims)', () => {
  it('writes the claims of one turn together, in call order', async () => {
    const w = recordingWriter();
    const claims = claimBatches(w.write);
    const first = Array.from({ length: 50 }, (_, i) => claims.add(claim(`r${i}`, `u${i}`)));
    expect(w.batches).toEqual([]);
    await nextTurn();
    const second = claims.add(claim('r50', 'u50'));
    expect(await Promise.all(first)).toEqual(first.map((_, i) => `u${i}`));
    expect(await second).toBe('u50');
    expect(w.batches.map((b) => b.length)).toEqual([50, 1]);
    expect(w.batches[0]!.map((c) => c.replica)).toEqual(first.map((_, i) => `r${i}`));
  });

  it('sends a batch without waiting for the one before to be written', async () => {
    const sent: number[] = [];
    const pending: (() => void)[] = [];
    const claims = claimBatches((batch) => {
      sent.push(batch.length);
      return new Promise((resolve) => pending.push(() => resolve(batch.map((c) => c.user))));
    });
    const a = claims.add(claim('a', 'u'));
    await nextTurn();
    const b = claims.add(claim('b', 'u'));
    await nextTurn();
    expect(sent).toEqual([1, 1]);
    for (const release of pending) release();
    expect(await Promise.all([a, b])).toEqual(['u', 'u']);
  });

  it('answers every claim of a replica in a batch with its one owner', async () => {
    const w = recordingWriter();
    const claims = claimBatches(w.write);
    const racing = ['alice', 'bob', 'carol'].map((user) => claims.add(claim('r', user)));
    expect(await Promise.all(racing)).toEqual(['alice', 'alice', 'alice']);
    expect(await claims.add(claim('r', 'bob'))).toBe('alice');
  });

  it('fails the claims of a failed batch only; the next batch is written', async () => {
    let calls = 0;
    const claims = claimBatches(async (batch) => {
      calls++;
      if (calls === 1) throw new Error('disk full');
      return batch.map((c) => c.user);
    });
    const failed = claims.add(claim('r1', 'u1'));
    await expect(failed).rejects.toThrow('disk full');
    expect(await claims.add(claim('r2', 'u2'))).toBe('u2');
  });

  it('sends what is queued at once on flush, in order, and the end of the turn sends nothing more', async () => {
    const w = recordingWriter();
    const claims = claimBatches(w.write);
    const first = claims.add(claim('a', 'u1'));
    const second = claims.add(claim('b', 'u2'));
    claims.flush();
    expect(w.batches.map((b) => b.map((c) => c.replica))).toEqual([['a', 'b']]);
    await nextTurn();
    expect(w.batches).toHaveLength(1);
    expect(await Promise.all([first, second])).toEqual(['u1', 'u2']);
  });
});
