/**
 * The relay benchmark's result rows, from the Helios relay's and y-websocket's runs.
 */
import { pct } from './relay-metrics.mjs';
import { packageVersion } from './results.mjs';
import { round2 } from './stats.mjs';

/** @typedef {import('./core.mjs').Result} Result */
/** @typedef {import('./relay.mjs').Config} Config */
/** @typedef {import('./relay.mjs').HeliosRun} HeliosRun */
/** @typedef {import('./relay.mjs').YjsRun} YjsRun */

/**
 * How a paced figure was taken: at the goal's rate, or at a lower one because the relay did not
 * keep up with it.
 * @param {{ rate: number, sustained: boolean, ackedInWindowPerSec: number, maxBacklog: number }} p
 * @param {number} target
 */
function rateNote(p, target) {
  const kept = `acked ${Math.round(p.ackedInWindowPerSec)}/s, backlog at most ${p.maxBacklog}`;
  if (p.rate === target && p.sustained) return `at ${p.rate} deltas/s (${kept})`;
  if (p.sustained)
    return `at ${p.rate} deltas/s, the highest rate sustained of those tried: ${target}/s was not (${kept})`;
  return `at ${p.rate} deltas/s, NOT sustained either (the lowest rate tried; ${kept}): the latencies include queueing`;
}

/**
 * @param {Config} cfg
 * @param {HeliosRun} h
 * @param {YjsRun} y
 * @returns {Result[]}
 */
export function buildResults(cfg, h, y) {
  const subscribers = cfg.clients / cfg.docs;
  const shape = `${cfg.clients} clients, ${cfg.docs} docs × ${subscribers} subscribers`;
  const ywsVersion = packageVersion('y-websocket');
  const fanoutCheck = (/** @type {{ fanoutTotal: number, fanoutExpected: number }} */ s) =>
    s.fanoutTotal === s.fanoutExpected
      ? `every acked delta reached the ${subscribers - 1} other subscribers (${s.fanoutTotal} receipts)`
      : `FAN-OUT MISMATCH: ${s.fanoutTotal} receipts, ${s.fanoutExpected} expected`;
  /** @type {Result[]} */
  const results = [];
  results.push({
    metric: 'relayDeltasPerSec',
    value: round(h.sat.perSec),
    unit: 'deltas/s',
    better: 'higher',
    peer: 'y-websocket',
    peerValue: round(y.sat.perSec),
    ratio: ratio(h.sat.perSec, y.sat.perSec),
    goal: '>= 50000',
    goalMet: h.sat.perSec >= 50_000,
    note:
      `${shape}; closed loop, each client one push of ${cfg.batch} entries in flight ` +
      `(y-websocket ${ywsVersion}: ${cfg.window} single-update messages in flight, counted when ` +
      `its server echoes them back to the sender, which is not durable; Helios counts durable ` +
      `acks). Fan-out ${round(h.sat.fanoutPerSec)}/s (y-websocket ${round(y.sat.fanoutPerSec)}/s); ` +
      `${fanoutCheck(h.sat)}; y-websocket: ${fanoutCheck(y.sat)}. ` +
      `CPU during the phase: relay ${pct(h.sat.serverCpu)} / generator ${pct(h.sat.ownCpu)}, ` +
      `y-websocket ${pct(y.sat.serverCpu)} / generator ${pct(y.sat.ownCpu)}.`,
  });
  results.push({
    metric: 'relayFanoutPerSec',
    value: round(h.sat.fanoutPerSec),
    unit: 'msgs/s',
    better: 'higher',
    peer: 'y-websocket',
    peerValue: round(y.sat.fanoutPerSec),
    ratio: ratio(h.sat.fanoutPerSec, y.sat.fanoutPerSec),
    note: `delta messages received by the other subscribers during the saturation phase (${shape})`,
  });
  const cpuUs = (/** @type {{ serverCpu: number, perSec: number }} */ s) =>
    (s.serverCpu / s.perSec) * 1e6;
  results.push({
    metric: 'relayCpuUsPerDelta',
    value: round(cpuUs(h.sat)),
    unit: 'µs',
    better: 'lower',
    peer: 'y-websocket',
    peerValue: round(cpuUs(y.sat)),
    ratio: ratio(cpuUs(y.sat), cpuUs(h.sat)),
    note:
      `server CPU time (user + system, /proc/<pid>/stat) per delta during the saturation phase, ` +
      `fan-out to ${subscribers - 1} subscribers included: the cost that bounds throughput on ` +
      `an idle core (1e6 / this), and a figure other processes on the machine disturb less ` +
      `than throughput. Without fan-out (ingest phase): ${round(cpuUs(h.ingest))} µs.`,
  });
  results.push({
    metric: 'relayIngestDeltasPerSec',
    value: round(h.ingest.perSec),
    unit: 'deltas/s',
    better: 'higher',
    note:
      `the same closed loop on ${cfg.clients} documents of one subscriber each (no fan-out): ` +
      `decode, validate, merge, group commit, ack; relay CPU ${pct(h.ingest.serverCpu)}, ` +
      `generator ${pct(h.ingest.ownCpu)}`,
  });
  const hp = h.paced;
  const yp = y.paced;
  const pacedNote = (/** @type {string} */ what) =>
    `${what}; Helios ${rateNote(hp, cfg.rate)}; y-websocket at the same rate ` +
    `(${yp.sustained ? 'sustained' : 'NOT sustained'}); one delta per push, round-robin over ` +
    `${cfg.clients} clients, for ${cfg.phaseS} s; relay CPU ${pct(hp.serverCpu)}, generator ` +
    `${pct(hp.ownCpu)}; y-websocket CPU ${pct(yp.serverCpu)}, generator ${pct(yp.ownCpu)}`;
  const atGoalRate = hp.rate === cfg.rate && hp.sustained;
  results.push({
    metric: 'pushAckP50Ms',
    value: round2(hp.ackP50),
    unit: 'ms',
    better: 'lower',
    note: pacedNote('push → durable ack (SQLite WAL, synchronous=FULL); y-websocket has no ack'),
  });
  results.push({
    metric: 'pushAckP99Ms',
    value: round2(hp.ackP99),
    unit: 'ms',
    better: 'lower',
    goal: '<= 5',
    goalMet: hp.ackP99 <= 5 && atGoalRate,
    note: pacedNote('push → durable ack'),
  });
  for (const [metric, ours, peer, goal] of /** @type {const} */ ([
    ['fanoutP50Ms', hp.fanoutP50, yp.fanoutP50, undefined],
    ['fanoutP99Ms', hp.fanoutP99, yp.fanoutP99, '<= 5'],
  ])) {
    results.push({
      metric,
      value: round2(ours),
      unit: 'ms',
      better: 'lower',
      peer: 'y-websocket',
      peerValue: round2(peer),
      ratio: ratio(peer, ours),
      ...(goal === undefined ? {} : { goal, goalMet: ours <= 5 && atGoalRate }),
      note: pacedNote(
        `push → receipt by each other subscriber (${hp.fanoutSamples} samples; Helios fans out ` +
          `after the durable commit, y-websocket right after applying the update in memory)`,
      ),
    });
  }
  results.push({
    metric: 'relayPeakRssMb',
    value: round(h.rssMb),
    unit: 'MiB',
    better: 'lower',
    peer: 'y-websocket',
    peerValue: round(y.rssMb),
    ratio: ratio(y.rssMb, h.rssMb),
    note:
      `VmHWM of the server process at the end of its run (connection setup, saturation and ` +
      `paced phases); after the saturation phases it was ${round(h.rssAfterSaturationMb)} MiB ` +
      `(y-websocket ${round(y.rssAfterSaturationMb)} MiB)`,
  });
  return results;
}

const round = (/** @type {number} */ x) => Math.round(x);
/** @param {number} a @param {number} b */
const ratio = (a, b) => Math.round((a / b) * 100) / 100;
