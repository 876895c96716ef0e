import { CausalContext } from '@helios/core';
import { describe, expect, it } from 'vitest';
import { RefusedWriteError } from './client-error.js';
import { Outbox, type OutboxItem } from './outbox.js';
import { Receipt } from './receipt.js';
import { ManualClock } from './test-support/manual-clock.js';

/** The outbox alone: a manual clock, and records of what it asks of the client. */
function setup(random = () => 0) {
  const clock = new ManualClock();
  const pushed: number[][] = [];
  const pending: { pending: Record<string, number>; total: number }[] = [];
  let commits = 0;
  const acks: number[] = [];
  const outbox = new Outbox({
    clock,
    random, // the jitter's lowest draw unless a test says otherwise: each delay its whole step
    push: (items) => pushed.push(items.map((i) => i.id)),
    commitSoon: () => commits++,
    onPending: (p, total) => pending.push({ pending: p, total }),
    onAcknowledged: (at) => acks.push(at),
  });
  const write = (id: number, doc = 'likes'): OutboxItem => {
    const item: OutboxItem = {
      id,
      doc,
      delta: new Uint8Array([id]),
      receipt: new Receipt(doc, { replica: 'r1', seq: id }),
    };
    item.receipt?.reach('local');
    outbox.add(item);
    return item;
  };
  return { clock, outbox, pushed, pending, acks, write, commits: () => commits };
}

describe('Outbox', () => {
  it('acknowledged writes reach relay, then global once replicated, and count as pending until acked', () => {
    const { outbox, pending, acks, clock, write } = setup();
    const a = write(1);
    const b = write(2, 'tags');
    outbox.publish();
    expect(pending.at(-1)).toEqual({ pending: { likes: 1, tags: 1 }, total: 2 });

    outbox.acknowledged([1, 99]); // an unknown id is ignored
    expect(a.receipt?.level).toBe('relay');
    expect(b.receipt?.level).toBe('local');
    expect(pending.at(-1)).toEqual({ pending: { tags: 1 }, total: 1 });
    expect(acks).toEqual([clock.now()]);

    outbox.replicated('likes', CausalContext.of([{ replica: 'r1', seq: 2 }]));
    expect(a.receipt?.level).toBe('relay'); // not its dot
    outbox.replicated('likes', CausalContext.of([{ replica: 'r1', seq: 1 }]));
    expect(a.receipt?.level).toBe('global');
  });

  it('settled entries are handed to a commit that takes them, or ask for one after a second', async () => {
    const { outbox, clock, write, commits } = setup();
    write(1);
    write(2);
    outbox.acknowledged([1]);
    expect(outbox.hasSettled).toBe(true);
    expect(outbox.takeSettled().map((e) => e.id)).toEqual([1]); // a commit took it
    await clock.advance(5_000);
    expect(commits()).toBe(0);

    outbox.acknowledged([2]);
    await clock.advance(999);
    expect(commits()).toBe(0);
    await clock.advance(1);
    expect(commits()).toBe(1);
    expect(outbox.takeSettled()).toEqual([{ id: 2, doc: 'likes', delta: expect.any(Uint8Array) }]);
  });

  it('transient refusals are pushed again together, waiting twice as long each time', async () => {
    const { outbox, clock, pushed, write } = setup();
    write(1);
    write(2);
    outbox.refused(1, 'rate-limited', 'slow down');
    outbox.refused(2, 'unknown-context', 'not yet');
    await clock.advance(249);
    expect(pushed).toEqual([]);
    await clock.advance(1);
    expect(pushed).toEqual([[1, 2]]);
    outbox.refused(1, 'unavailable', 'again');
    await clock.advance(499);
    expect(pushed).toHaveLength(1);
    await clock.advance(1);
    expect(pushed).toEqual([[1, 2], [1]]);
    expect(outbox.size).toBe(2);

    outbox.resetBackoff(); // a new connection
    outbox.refused(2, 'internal', 'oops');
    await clock.advance(250);
    expect(pushed.at(-1)).toEqual([2]);
  });

  it('draws each retry delay from the upper half of its step', async () => {
    const { outbox, clock, pushed, write } = setup(() => 0.999_999);
    write(1);
    outbox.refused(1, 'rate-limited', 'slow down');
    await clock.advance(124);
    expect(pushed).toEqual([]);
    await clock.advance(2); // 125 ms and a hair
    expect(pushed).toEqual([[1]]);
    outbox.refused(1, 'rate-limited', 'still');
    await clock.advance(249);
    expect(pushed).toHaveLength(1);
    await clock.advance(2); // the second step's half, 250 ms and a hair
    expect(pushed).toEqual([[1], [1]]);
  });

  it('a final refusal fails the receipt with the relay code and settles the entry', async () => {
    const { outbox, write, pending } = setup();
    const item = write(1);
    outbox.refused(1, 'forbidden', 'no rights');
    expect(item.receipt?.error).toBeInstanceOf(RefusedWriteError);
    expect(item.receipt?.error).toMatchObject({ code: 'refused', relayCode: 'forbidden' });
    expect(outbox.size).toBe(0);
    expect(pending.at(-1)?.total).toBe(0);
    expect(outbox.takeSettled().map((e) => e.id)).toEqual([1]);
  });

  it('restores stored entries (without receipts) and never reuses their ids', () => {
    const { outbox, pending } = setup();
    outbox.restore([
      { id: 7, doc: 'likes', delta: new Uint8Array() },
      { id: 3, doc: 'likes', delta: new Uint8Array() },
    ]);
    expect(outbox.maxId).toBe(7);
    expect(outbox.items().map((i) => [i.id, i.receipt])).toEqual([
      [7, undefined],
      [3, undefined],
    ]);
    expect(pending.at(-1)).toEqual({ pending: { likes: 2 }, total: 2 });
  });

  it('after close, no retry is scheduled', async () => {
    const { outbox, clock, pushed, write } = setup();
    write(1);
    outbox.close();
    outbox.refused(1, 'rate-limited', 'slow down');
    await clock.advance(10_000);
    expect(pushed).toEqual([]);
    expect(clock.pending).toBe(0);
  });
});
