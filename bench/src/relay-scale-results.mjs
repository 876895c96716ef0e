/**
 * The scale-out benchmark's result rows (relay-scale.mjs): per setup, deltas acked per second
 * (in all and per node) and the CPU each acked delta cost the relays and, with Postgres, the
 * Postgres and Redis processes; then what a second and a third node add.
 */
import { pct } from './relay-metrics.mjs';
import { round2 } from './stats.mjs';

/** @typedef {import('./core.mjs').Result} Result */
/** @typedef {import('./relay-scale.mjs').ScaleConfig} ScaleConfig */
/** @typedef {import('./relay-scale.mjs').ScaleRun} ScaleRun */

const round = (/** @type {number} */ x) => Math.round(x);

/** CPU µs per acked delta of a process group that used `share` of a core. */
const usPerDelta = (/** @type {number} */ share, /** @type {number} */ perSec) =>
  (share / perSec) * 1e6;

/** @param {ScaleRun} r */
function label(r) {
  const { store, nodes, spread } = r.setup;
  const kind = store === 'sqlite' ? 'SQLite' : 'Postgres + Redis';
  const where =
    nodes === 1
      ? ''
      : spread
        ? ", each document's subscribers spread over them"
        : ', each document on one node';
  return `${nodes} ${kind} node${nodes > 1 ? 's' : ''}${where}`;
}

/**
 * What the run's figures rest on: the fan-out check, and where the CPU went (relays, each
 * service, the generator) with the machine's CPU pressure.
 * @param {ScaleRun} r
 * @param {number} subscribers
 */
function describeRun(r, subscribers) {
  const s = r.sat;
  const fanout =
    s.fanoutTotal === s.fanoutExpected && s.drained
      ? `every acked write reached the ${subscribers - 1} other subscribers exactly once (${s.fanoutTotal} receipts)`
      : `FAN-OUT MISMATCH: ${s.fanoutTotal} receipts, ${s.fanoutExpected} expected${s.drained ? '' : ', not drained'}`;
  const nodes = r.perNode
    .map(
      (n) =>
        `node ${n.node}: ${n.clients} clients, ${round(n.deltasPerSec)} deltas/s committed in ` +
        `${round(n.internals.commitsPerSec)} commits/s of ${round(n.internals.meanBatch)} ` +
        `(${n.internals.meanCommitMs.toFixed(1)} ms each), event-loop delay p99 ` +
        `${round(n.internals.loopDelayP99Ms)} ms`,
    )
    .join('; ');
  const services = Object.entries(s.serviceCpu)
    .map(([name, share]) => `${name} ${pct(share)}`)
    .join(', ');
  return (
    `${fanout}. CPU (share of one core): relays ${pct(s.serverCpu)}` +
    `${services === '' ? '' : `, ${services}`}, generator ${pct(s.ownCpu)}; CPU pressure ` +
    `${r.cpuPressure.before ?? '?'}% before, ${r.cpuPressure.after ?? '?'}% after. ${nodes}`
  );
}

/**
 * @param {ScaleConfig} cfg
 * @param {ScaleRun[]} runs
 * @returns {Result[]}
 */
export function buildScaleResults(cfg, runs) {
  const subscribers = cfg.clients / cfg.docs;
  const shape =
    `${cfg.clients} clients, ${cfg.docs} docs × ${subscribers} subscribers; closed loop, one push of ${cfg.batch} deltas in flight per client, counted at its ` +
    `durable ack, ${cfg.phaseS} s`;
  /** @type {Result[]} */
  const results = [];
  for (const r of runs) {
    const s = r.sat;
    const { id, nodes } = r.setup;
    results.push({
      metric: `scaleDeltasPerSec_${id}`,
      value: round(s.perSec),
      unit: 'deltas/s',
      better: 'higher',
      note: `${label(r)}: ${shape}. ${describeRun(r, subscribers)}`,
    });
    results.push({
      metric: `scaleDeltasPerSecPerNode_${id}`,
      value: round(s.perSec / nodes),
      unit: 'deltas/s',
      better: 'higher',
      note: `${label(r)}: scaleDeltasPerSec / ${nodes}`,
    });
    results.push({
      metric: `scaleRelayCpuUsPerDelta_${id}`,
      value: round(usPerDelta(s.serverCpu, s.perSec)),
      unit: 'µs',
      better: 'lower',
      note:
        `${label(r)}: CPU time of all relay processes (user + system, /proc/<pid>/stat) per ` +
        `acked delta, fan-out to ${subscribers - 1} subscribers included (with several nodes, ` +
        `each merges and fans out every delta: its own clients' and, from Redis, the others'); ` +
        `the relays used ${pct(s.serverCpu / nodes)} of a core per node on average`,
    });
    const services = Object.entries(s.serviceCpu);
    if (services.length > 0) {
      const all = s.serverCpu + services.reduce((n, [, share]) => n + share, 0);
      results.push({
        metric: `scaleTotalCpuUsPerDelta_${id}`,
        value: round(usPerDelta(all, s.perSec)),
        unit: 'µs',
        better: 'lower',
        note:
          `${label(r)}: relays plus ${services.map(([n]) => n).join(', ')} per acked delta ` +
          `(${services.map(([n, share]) => `${n} ${round(usPerDelta(share, s.perSec))} µs`).join(', ')}). ` +
          `Postgres' background processes and Redis also serve other users of those servers`,
      });
    }
    if (r.stale !== undefined && nodes > 1) {
      const { refused, statements, changesRolledBack, changesCommitted } = r.stale;
      results.push({
        metric: `scaleStaleCommitShare_${id}`,
        value: round2(statements > 0 ? refused / statements : 0),
        unit: '×',
        better: 'lower',
        note:
          `${label(r)}, whole run (warm-up and drains included): ${refused} of ${statements} ` +
          `commit statements refused because a document's value lacked another node's change, ` +
          `then redone in a transaction holding the region's head row (every other node's ` +
          `commit waits for it) that loads the missed changes; ${changesRolledBack} change rows ` +
          `inserted and rolled back for ${changesCommitted} committed`,
      });
    }
  }
  const byId = new Map(runs.map((r) => [r.setup.id, r]));
  const one = byId.get('pg1');
  for (const [metric, id, goal] of /** @type {const} */ ([
    ['twoNodeScaling', 'pg2', '>= 1.6'],
    ['threeNodeScaling', 'pg3', undefined],
    ['twoNodeScalingByDocument', 'pg2bydoc', undefined],
  ])) {
    const many = byId.get(id);
    if (one === undefined || many === undefined) continue;
    const value = round2(many.sat.perSec / one.sat.perSec);
    results.push({
      metric,
      value,
      unit: '×',
      better: 'higher',
      ...(goal === undefined ? {} : { goal, goalMet: value >= 1.6 }),
      note:
        `scaleDeltasPerSec_${id} / scaleDeltasPerSec_pg1 (${round(many.sat.perSec)} / ` +
        `${round(one.sat.perSec)}), the nodes, Postgres, Redis and the load generator on the ` +
        `same 2 cores: CPU in use ${pct(cpuInUse(many))} against ${pct(cpuInUse(one))} with one node`,
    });
  }
  const sqlite = byId.get('sqlite1');
  if (one !== undefined && sqlite !== undefined) {
    results.push({
      metric: 'postgresNodeVsSqliteNode',
      value: round2(one.sat.perSec / sqlite.sat.perSec),
      unit: '×',
      better: 'higher',
      note:
        `scaleDeltasPerSec_pg1 / scaleDeltasPerSec_sqlite1: one node on Postgres + Redis ` +
        `against one on SQLite, same load`,
    });
  }
  return results;
}

/**
 * The share of the machine's cores a run kept busy: relays, services and generator.
 * @param {ScaleRun} r
 */
function cpuInUse(r) {
  const s = r.sat;
  return s.serverCpu + s.ownCpu + Object.values(s.serviceCpu).reduce((n, x) => n + x, 0);
}
