import type { Socket } from 'socket.io';
import { describe, expect, it } from 'vitest';
import { Budget } from './budget.js';
import { ConnectionFlow } from './connection-flow.js';
import { DEFAULT_LIMITS } from './options.js';

/** A flow on a clock of the test's, for a socket it never stops (bulk() reads no socket). */
function flow() {
  const clock = { ms: 0 };
  const now = () => clock.ms;
  const userBudget = new Budget(
    { framesPerSecond: 1e6, bytesPerSecond: 1e9, entriesPerSecond: 1e6 },
    now,
  );
  return { clock, flow: new ConnectionFlow(DEFAULT_LIMITS, now, {} as Socket, userBudget) };
}

describe('ConnectionFlow: who counts as a bulk writer', () => {
  it('a person writing a few entries at a time is not one', () => {
    const { clock, flow: f } = flow();
    for (let i = 0; i < 50; i++) {
      f.charge({ frames: 1, bytes: 120, entries: 3 });
      expect(f.bulk(120)).toBe(false);
      clock.ms += 100;
    }
  });

  it('a frame of more than 64 entries is, from its first slice: its work is no person’s', () => {
    const { flow: f } = flow();
    f.charge({ frames: 1, bytes: 6_000, entries: 65 });
    expect(f.bulk(6_000)).toBe(true);
    // The next frame is small again: judged by what it is and what came lately.
    f.charge({ frames: 1, bytes: 100, entries: 1 });
    expect(f.bulk(100)).toBe(false);
  });

  it('so is one with more than 16 KiB queued, or more than 500 entries within about a second', () => {
    const { clock, flow: f } = flow();
    expect(f.bulk(16 * 1024 + 1)).toBe(true);
    for (let i = 0; i < 11; i++) f.charge({ frames: 1, bytes: 3_000, entries: 50 });
    expect(f.bulk(0)).toBe(true);
    clock.ms += 3_000; // what it sent decays
    expect(f.bulk(0)).toBe(false);
  });
});
