/**
 * The acknowledgement figures of the fault run (faults.mjs): write → ack by some relay over all
 * writes, and over the writes made while their writer's home region was partitioned, which its
 * writers then had acknowledged by another region's relay after failing over.
 */
import { max, percentile } from '../stats.mjs';
import { r2 } from './common.mjs';

/**
 * One write: when it was made, made durable locally, acknowledged by a relay (NaN: not yet), the
 * region of the relay the writer was connected to at the ack, and why it failed, if it did.
 * @typedef {{ t0: number, local: number, ack: number, ackRegion: string | null,
 *   failed: string | undefined }} WriteRecord
 * @typedef {{ kind: 'kill' | 'partition', region: string, start: number, end: number,
 *   convergeMs: number | null }} FaultEvent
 */

/**
 * The writes made while their writer's home region was partitioned, with that region.
 * @param {readonly WriteRecord[][]} records per writer
 * @param {readonly { region: string }[]} writers
 * @param {readonly FaultEvent[]} events
 */
export function cutOffWrites(records, writers, events) {
  const cuts = events.filter((e) => e.kind === 'partition');
  return records.flatMap((list, i) => {
    const home = /** @type {{ region: string }} */ (writers[i]).region;
    return list
      .filter((r) => cuts.some((e) => e.region === home && r.t0 >= e.start && r.t0 < e.end))
      .map((r) => ({ r, home }));
  });
}

/** The share of `n` of `total` in %, rounded down to 3 decimals (99.9999 never shows as 100). */
const pctDown = (/** @type {number} */ n, /** @type {number} */ total) =>
  Math.floor((100_000 * n) / total) / 1000;

/**
 * The ack rows: `ackedWithin5sPct` (goal ≥ 99.99), ack p50/p99, and the same for the writes
 * made while their home region was cut off, with the share of them acked by another region.
 * @param {{ records: readonly WriteRecord[][], writers: readonly { region: string }[],
 *   events: readonly FaultEvent[], goalMs: number, flushed: boolean, runNote: string }} run
 */
export function ackRows({ records, writers, events, goalMs, flushed, runNote }) {
  const all = records.flat();
  const ackMs = all.filter((r) => !Number.isNaN(r.ack)).map((r) => r.ack - r.t0);
  const within = ackMs.filter((ms) => ms <= goalMs).length;
  const cut = cutOffWrites(records, writers, events);
  const cutAcked = cut.filter((c) => !Number.isNaN(c.r.ack));
  const cutAckMs = cutAcked.map((c) => c.r.ack - c.r.t0);
  const cutAway = cutAcked.filter((c) => c.r.ackRegion !== null && c.r.ackRegion !== c.home);
  const cutWithin = cutAckMs.filter((ms) => ms <= goalMs).length;
  const cutNote = `${cut.length} writes made while their home region was partitioned (its relay cut from the other relays and from every client), ${cutAway.length} of them acknowledged by another region's relay after failover, ${cut.length - cutAcked.length} never acknowledged`;
  const none = cut.length === 0;
  return [
    {
      metric: 'ackedWithin5sPct',
      value: pctDown(within, all.length),
      unit: '%',
      better: 'higher',
      goal: '>= 99.99',
      goalMet: (100 * within) / all.length >= 99.99,
      note: `${within} of ${all.length} writes acknowledged by some relay (durable there) within ${goalMs / 1000} s of the write; ${all.length - ackMs.length} never acknowledged${flushed ? '' : ' (60 s after the run)'}; ${runNote}; ${cutNote}`,
    },
    {
      metric: 'ackP50Ms',
      value: r2(percentile(ackMs, 50)),
      unit: 'ms',
      better: 'lower',
      note: 'write → ack by some relay, during the fault run',
    },
    {
      metric: 'ackP99Ms',
      value: r2(percentile(ackMs, 99)),
      unit: 'ms',
      better: 'lower',
      note: `write → ack by some relay, during the fault run; max ${r2(max(ackMs))} ms`,
    },
    {
      metric: 'partitionedAckedWithin5sPct',
      value: none ? -1 : pctDown(cutWithin, cut.length),
      unit: '%',
      better: 'higher',
      goal: '>= 99.99',
      goalMet: !none && (100 * cutWithin) / cut.length >= 99.99,
      note: `${cutWithin} of the ${cutNote}, acknowledged within ${goalMs / 1000} s of the write`,
    },
    {
      metric: 'partitionedAckedElsewherePct',
      value: none ? -1 : r2((100 * cutAway.length) / cut.length),
      unit: '%',
      better: 'higher',
      note: `of the writes made while their home region was partitioned, the share acknowledged by another region's relay (the writer's status.region at the ack); the rest reached the home relay just before the cut or after the heal`,
    },
    {
      metric: 'partitionedAckP50Ms',
      value: cutAckMs.length > 0 ? r2(percentile(cutAckMs, 50)) : -1,
      unit: 'ms',
      better: 'lower',
      note: `write → ack, of the ${cutAckMs.length} acknowledged writes made while their home region was partitioned (failover included)`,
    },
    {
      metric: 'partitionedAckP99Ms',
      value: cutAckMs.length > 0 ? r2(percentile(cutAckMs, 99)) : -1,
      unit: 'ms',
      better: 'lower',
      note: `the same, p99; max ${cutAckMs.length > 0 ? r2(max(cutAckMs)) : '-'} ms`,
    },
  ];
}
