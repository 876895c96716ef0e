/**
 * The jittered inter-region delay of the multi-region benchmarks, and a record of the delays the
 * proxies actually applied (what "over one-way" is measured against when the delay varies).
 *
 * Model: each chunk a proxy forwards between two regions is delayed by the one-way delay
 * `d` ± `fraction`·d, uniform (test-kit's `LinkModel`: latency `d·(1 − f)` plus a uniform extra
 * in [0, 2·d·f], mean `d`), and never before a chunk read before it on the same connection
 * direction (TCP keeps order: a chunk waits behind a slower one). That wait makes the delay
 * actually applied larger on average than `d` when chunks follow each other closely, so the
 * applied delays are recorded rather than assumed.
 */
import { LinkModel } from '@helios/test-kit';

/**
 * The test-kit link conditions of a one-way delay `oneWayMs` ± `fraction` of it, uniform.
 * @param {number} oneWayMs
 * @param {number} fraction e.g. 0.1 for ±10%
 * @returns {{ latencyMs: number, jitterMs: number }}
 */
export function jitterConditions(oneWayMs, fraction) {
  if (!(fraction >= 0 && fraction <= 1)) throw new RangeError(`bad jitter fraction ${fraction}`);
  return { latencyMs: oneWayMs * (1 - fraction), jitterMs: 2 * oneWayMs * fraction };
}

/**
 * A {@link LinkModel} that records, for each direction, the delay it gave every chunk (arrival
 * − read time, after the in-order hold), while `recording` is set.
 */
export class RecordingLinkModel extends LinkModel {
  /** Delays (ms) by direction key `${from}>${to}`. @type {Map<string, number[]>} */
  delays = new Map();
  recording = false;

  /**
   * @param {import('@helios/test-kit').NodeName} from
   * @param {import('@helios/test-kit').NodeName} to
   * @param {number} now
   * @param {boolean} [ordered]
   */
  plan(from, to, now, ordered = false) {
    const arrivals = super.plan(from, to, now, ordered);
    const first = arrivals[0];
    if (this.recording && first !== undefined) {
      const k = `${from}>${to}`;
      const list = this.delays.get(k) ?? [];
      if (list.length === 0) this.delays.set(k, list);
      list.push(first - now);
    }
    return arrivals;
  }
}
