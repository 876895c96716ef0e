import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { NodeLiveness } from './node-liveness.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

function liveness() {
  const beats: number[] = [];
  const silent: string[] = [];
  const tracker = new NodeLiveness({
    beat: () => beats.push(Date.now()),
    onSilent: (relayId) => silent.push(relayId),
    intervalMs: 2_000,
    timeoutMs: 6_000,
  });
  return { tracker, beats, silent };
}

describe('NodeLiveness', () => {
  it('beats at once and then every interval', () => {
    const { tracker, beats } = liveness();
    expect(beats).toHaveLength(1);
    vi.advanceTimersByTime(6_000);
    expect(beats).toHaveLength(4);
    tracker.stop();
    vi.advanceTimersByTime(6_000);
    expect(beats).toHaveLength(4);
  });

  it('reports a node once when it has not been heard for the timeout', () => {
    const { tracker, silent } = liveness();
    tracker.heard('a');
    tracker.heard('b');
    for (let t = 0; t < 10_000; t += 2_000) {
      vi.advanceTimersByTime(2_000);
      tracker.heard('b');
    }
    expect(silent).toEqual(['a']);
    vi.advanceTimersByTime(20_000);
    expect(silent).toEqual(['a', 'b']);
    // Heard again after being reported: tracked again, reported again when silent again.
    tracker.heard('a');
    vi.advanceTimersByTime(8_000);
    expect(silent).toEqual(['a', 'b', 'a']);
    tracker.stop();
  });

  it('answers the first heartbeat of a node it did not know with its own', () => {
    const { tracker, beats } = liveness();
    tracker.heard('newcomer');
    expect(beats).toHaveLength(2);
    tracker.heard('newcomer');
    expect(beats).toHaveLength(2);
    tracker.stop();
  });
});
