/**
 * What the flood benchmark computes from its records (see flood.mjs): latencies in a window,
 * the recovery time, the relay's refusals by code.
 */
import { percentile } from './stats.mjs';

/**
 * @param {{ at: number, ms: number | undefined }[]} writes
 * @param {number} from
 * @param {number} to
 * @param {number} end when measuring stopped: an unacked write counts as at least `end - at`
 */
export function latencies(writes, from, to, end) {
  return writes.filter((w) => w.at >= from && w.at < to).map((w) => w.ms ?? end - w.at);
}

/**
 * The recovery time: the smallest `t` (ms after the flood ended, on a 50 ms grid) such that the
 * observer writes sent from `t` to the end of the recovery phase have a p99 within
 * `latencyBound`, and every new client that started connecting in that span was welcomed
 * within `connectBound`. `undefined` when no such `t` exists (not recovered in the phase).
 * @param {{ at: number, ms: number | undefined }[]} writes
 * @param {{ at: number, ms: number, error?: string }[]} probes
 * @param {{ stop: number, end: number, latencyBound: number, connectBound: number }} o
 */
export function recoveryMs(writes, probes, o) {
  for (let t = 0; o.stop + t < o.end - 500; t += 50) {
    const from = o.stop + t;
    const ms = latencies(writes, from, o.end, o.end);
    if (ms.length < 20) return undefined;
    if (percentile(ms, 99) > o.latencyBound) continue;
    const late = probes.some(
      (p) => p.at >= from && p.at < o.end && (p.error || p.ms > o.connectBound),
    );
    if (!late) return t;
  }
  return undefined;
}

/** @param {Map<string, number>} m */
export function refusals(m) {
  const out = [];
  for (const [k, v] of m) {
    const code = /^helios_refused_total\{code="([^"]+)"\}$/.exec(k)?.[1];
    if (code && v > 0) out.push(`${code} ${v}`);
  }
  return out.join(', ') || 'none';
}
