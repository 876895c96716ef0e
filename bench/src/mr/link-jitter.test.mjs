import { describe, expect, it } from 'vitest';
import { jitterConditions, RecordingLinkModel } from './link-jitter.mjs';

describe('jitterConditions', () => {
  it('spreads the delay evenly around the one-way delay', () => {
    expect(jitterConditions(100, 0.1)).toEqual({ latencyMs: 90, jitterMs: 20 });
    expect(jitterConditions(50, 0)).toEqual({ latencyMs: 50, jitterMs: 0 });
  });

  it('refuses a fraction outside [0, 1]', () => {
    expect(() => jitterConditions(100, -0.1)).toThrow(RangeError);
    expect(() => jitterConditions(100, 1.5)).toThrow(RangeError);
    expect(() => jitterConditions(100, Number.NaN)).toThrow(RangeError);
  });
});

describe('RecordingLinkModel', () => {
  const model = () => new RecordingLinkModel({ seed: 7, conditions: jitterConditions(100, 0.1) });

  it('records nothing until asked to', () => {
    const links = model();
    links.plan('a', 'b', 0, true);
    expect(links.delays.size).toBe(0);
  });

  it('records each chunk’s delay per direction, within one-way ± 10% when chunks are far apart', () => {
    const links = model();
    links.recording = true;
    for (let i = 0; i < 1000; i++) links.plan('a', 'b', i * 1000, true);
    links.plan('b', 'a', 0, true);
    const delays = /** @type {number[]} */ (links.delays.get('a>b'));
    expect(delays).toHaveLength(1000);
    expect(links.delays.get('b>a')).toHaveLength(1);
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(90);
    expect(Math.max(...delays)).toBeLessThanOrEqual(110);
    const mean = delays.reduce((s, d) => s + d, 0) / delays.length;
    expect(mean).toBeGreaterThan(99);
    expect(mean).toBeLessThan(101);
  });

  it('keeps an ordered link in order, and records the wait behind an earlier chunk', () => {
    const links = model();
    links.recording = true;
    /** @type {number[]} */
    const arrivals = [];
    // A chunk every millisecond: jitter of 20 ms would reorder them without the in-order hold.
    for (let i = 0; i < 1000; i++)
      arrivals.push(/** @type {number} */ (links.plan('a', 'b', i, true)[0]));
    for (let i = 1; i < arrivals.length; i++) {
      expect(arrivals[i]).toBeGreaterThanOrEqual(/** @type {number} */ (arrivals[i - 1]));
    }
    const delays = /** @type {number[]} */ (links.delays.get('a>b'));
    expect(delays).toEqual(arrivals.map((at, i) => at - i));
    // Held behind slower chunks, the mean delay is above the one-way delay.
    expect(delays.reduce((s, d) => s + d, 0) / delays.length).toBeGreaterThan(105);
  });
});
