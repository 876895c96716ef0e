import type { Socket } from 'socket.io';
import { describe, expect, it } from 'vitest';
import { Budget } from './budget.js';
import { ConnectionFlow } from './connection-flow.js';
import { DEFAULT_LIMITS } from './options.js';

/**
 * A flow on a clock of the test's, for a Socket.IO socket over a WebSocket that records whether
 * it is read (`reading`).
 */
function flow() {
  const clock = { ms: 0 };
  const now = () => clock.ms;
  const userBudget = new Budget(
    { framesPerSecond: 1e6, bytesPerSecond: 1e9, entriesPerSecond: 1e6 },
    now,
  );
  const ws = {
    reading: true,
    pause() {
      ws.reading = false;
    },
    resume() {
      ws.reading = true;
    },
  };
  const socket = { conn: { transport: { name: 'websocket', socket: ws } } } as unknown as Socket;
  return { clock, ws, flow: new ConnectionFlow(DEFAULT_LIMITS, now, socket, userBudget) };
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

describe('ConnectionFlow: reading', () => {
  it('reads a bulk writer only while it has less than 64 KiB queued', () => {
    const { ws, flow: f } = flow();
    f.charge({ frames: 1, bytes: 20_000, entries: 200 }); // a flooder's frame
    expect(f.assess({ frames: 3, bytes: 60 * 1024 }, false)).toBe(0);
    expect(ws.reading).toBe(true);
    // Far below maxQueuedBytes (1 MiB), but more would only move its parsing forward.
    f.assess({ frames: 4, bytes: 64 * 1024 }, false);
    expect(ws.reading).toBe(false);
    f.assess({ frames: 1, bytes: 20_000 }, false);
    expect(ws.reading).toBe(true);
  });

  it('always reads an ordinary client, whatever it has queued below the bounds', () => {
    const { ws, flow: f } = flow();
    f.charge({ frames: 1, bytes: 200, entries: 1 });
    f.assess({ frames: 3, bytes: 10 * 1024 }, true);
    expect(ws.reading).toBe(true);
  });
});

describe('ConnectionFlow: closing', () => {
  it('does not close a bulk writer that is only held back, however long: it is within budget', () => {
    const { clock, ws, flow: f } = flow();
    // A device replaying a long offline outbox while the relay is busy: read in bursts.
    for (let t = 0; t <= 3 * DEFAULT_LIMITS.overBudgetCloseMs; t += 100) {
      clock.ms = t;
      f.charge({ frames: 1, bytes: 10_000, entries: 100 }); // 1,000 entries a second
      expect(f.assess({ frames: 2, bytes: 20_000 }, true)).toBe(0);
      expect(ws.reading).toBe(false); // held back while the relay is behind
    }
  });

  it('closes a connection in debt for overBudgetCloseMs without a break', () => {
    const { clock, flow: f } = flow();
    let verdict: number | 'close' = 0;
    let inDebtSince: number | undefined;
    for (let t = 0; t <= 3 * DEFAULT_LIMITS.overBudgetCloseMs && verdict !== 'close'; t += 100) {
      clock.ms = t;
      f.charge({ frames: 1, bytes: 10_000, entries: 1_000 }); // 10,000 entries a second
      verdict = f.assess({ frames: 1, bytes: 10_000 }, false);
      if (verdict !== 0) inDebtSince ??= t;
    }
    expect(verdict).toBe('close');
    expect(clock.ms - inDebtSince!).toBeGreaterThanOrEqual(DEFAULT_LIMITS.overBudgetCloseMs);
  });
});
