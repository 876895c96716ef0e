/**
 * Scale-out benchmark (issue #14): the relay benchmark's saturation closed loop against the
 * nodes of one region. First one node on SQLite (the default store, for reference), then 1, 2
 * and 3 nodes sharing one Postgres schema and one Redis (the Socket.IO adapter), each setup on a
 * fresh schema and its own Redis channels. Clients are spread over the nodes so that the
 * subscribers of every document are on different nodes: a write reaches most of them through
 * another node's Redis notice. See RELAY.md, "Scale-out".
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import {
  freePort,
  peakRssMb,
  removeOnExit,
  SERVER_NODE_FLAGS,
  startServer,
  stopChild,
} from './proc.mjs';
import { RELAY_CLI } from './relay.mjs';
import { HeliosClient, LoadStats } from './relay-clients.mjs';
import {
  cpuPressure,
  describeInternals,
  probeRelay,
  relayInternals,
  scrape,
} from './relay-metrics.mjs';
import { connectAll, describeSaturated, saturate } from './relay-phases.mjs';
import { buildScaleResults } from './relay-scale-results.mjs';
import { loadAverage, packageVersion } from './results.mjs';
import { localPort, serviceCpuMeter } from './service-cpu.mjs';

const PG_URL = process.env.HELIOS_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.HELIOS_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * @typedef {{
 *   clients: number, docs: number, phaseS: number, warmupS: number, batch: number,
 *   connectBatch: number, drainMs: number,
 * }} ScaleConfig
 */

/** The relay benchmark's shape and saturation phase (relay.mjs), without its other phases. */
/** @type {ScaleConfig} */
const FULL = {
  clients: 1000,
  docs: 100,
  phaseS: 10,
  warmupS: 2,
  batch: 8,
  connectBatch: 50,
  drainMs: 10_000,
};

/** @type {ScaleConfig} */
const QUICK = { ...FULL, clients: 200, docs: 20, phaseS: 3, warmupS: 1, drainMs: 5_000 };

/**
 * `spread`: the subscribers of each document are spread over the nodes (otherwise each
 * document's are all on one node, the documents shared out between the nodes).
 * @typedef {{ id: string, store: 'sqlite' | 'postgres', nodes: number, spread: boolean }} Setup
 */

/** @type {Setup[]} */
const SETUPS = [
  { id: 'sqlite1', store: 'sqlite', nodes: 1, spread: true },
  { id: 'pg1', store: 'postgres', nodes: 1, spread: true },
  { id: 'pg2', store: 'postgres', nodes: 2, spread: true },
  { id: 'pg3', store: 'postgres', nodes: 3, spread: true },
  { id: 'pg2bydoc', store: 'postgres', nodes: 2, spread: false },
];

/**
 * @param {number} i
 * @param {ScaleConfig} cfg
 */
function docName(i, cfg) {
  return `cart-${String(i % cfg.docs).padStart(4, '0')}`;
}

/**
 * The node of client `i`. Spread: the subscribers of a document (clients d, d + docs,
 * d + 2·docs, …) take the nodes in turn, starting at a different node for each document, so
 * every node has as many clients (± 1 per document) and every document has subscribers on
 * every node. Otherwise document d's subscribers are all on node d mod nodes.
 * @param {number} i
 * @param {ScaleConfig} cfg
 * @param {Setup} setup
 */
function nodeOf(i, cfg, setup) {
  const doc = i % cfg.docs;
  return setup.spread ? (doc + Math.floor(i / cfg.docs)) % setup.nodes : doc % setup.nodes;
}

/**
 * Starts the nodes of `setup`, one after the other (the first creates the Postgres schema).
 * @param {Setup} setup
 * @param {string} tag unique to this run and setup: the schema and Redis deployment names
 */
async function startRegion(setup, tag) {
  const dir = mkdtempSync(join(tmpdir(), 'helios-scale-bench-'));
  const scratch = removeOnExit(dir);
  const schema = `helios_bench_scale_${tag}`;
  const storeArgs =
    setup.store === 'sqlite'
      ? ['--db', join(dir, 'relay.sqlite')]
      : [
          '--pg',
          PG_URL,
          '--pg-schema',
          schema,
          '--redis',
          REDIS_URL,
          '--deployment',
          `bench-${tag}`,
        ];
  /** @type {{ server: Awaited<ReturnType<typeof startServer>>, url: string }[]} */
  const nodes = [];
  const stop = async () => {
    await Promise.all(nodes.map((n) => stopChild(n.server.child)));
    rmSync(dir, { recursive: true, force: true });
    scratch.forget();
  };
  /** @type {string[]} */
  let args = [];
  try {
    for (let n = 0; n < setup.nodes; n++) {
      const port = await freePort();
      args = ['--region', 'us-east-1', '--port', String(port), ...storeArgs];
      args.push('--anonymous', '--log-level', 'error');
      const server = await startServer([...SERVER_NODE_FLAGS, RELAY_CLI, ...args], /listening on/);
      nodes.push({ server, url: `http://127.0.0.1:${port}` });
    }
  } catch (err) {
    await stop();
    throw err;
  }
  const shown = args
    .join(' ')
    .replace(dir, '<tmp>')
    .replace(/--port \d+/, '--port <port>')
    .replace(tag, '<run>')
    .replace(tag, '<run>');
  return { nodes, schema, args: shown, stop };
}

/**
 * A probe of every node's /metrics for `saturate`. It hands `saturate` one map, the nodes'
 * counters summed and their event-loop delays the worst node's, and keeps each node's own
 * reading: `perNode(seconds)` gives each node's figures between the last two readings.
 * @param {{ url: string, server: { pid: number } }[]} nodes
 */
function nodeProbes(nodes) {
  /** @type {Map<string, number>[][]} */
  const readings = [];
  return {
    probe: async () => {
      const maps = await Promise.all(nodes.map((n) => probeRelay(n.url, n.server.pid)));
      readings.push(maps);
      /** @type {Map<string, number>} */
      const merged = new Map();
      for (const m of maps) {
        for (const [k, v] of m) {
          const worst = k.startsWith('nodejs_eventloop_lag');
          merged.set(k, worst ? Math.max(merged.get(k) ?? 0, v) : (merged.get(k) ?? 0) + v);
        }
      }
      return merged;
    },
    perNode: (/** @type {number} */ seconds) => {
      const a = readings.at(-2);
      const b = readings.at(-1);
      if (a === undefined || b === undefined) return [];
      return a.map((m, i) => relayInternals(m, /** @type {Map<string, number>} */ (b[i]), seconds));
    },
  };
}

/**
 * One setup under the closed loop: nodes started, clients spread over them, warm-up, then the
 * measured saturation phase.
 * @param {ScaleConfig} cfg
 * @param {Setup} setup
 * @param {{ log: (s: string) => void, tag: string }} o
 */
async function benchSetup(cfg, setup, o) {
  const { log } = o;
  const region = await startRegion(setup, `${o.tag}_${setup.id}`);
  const stats = new LoadStats();
  /** @type {HeliosClient[]} */
  let clients = [];
  try {
    const t0 = performance.now();
    clients = await connectAll(
      cfg.clients,
      cfg.connectBatch,
      (i) =>
        new HeliosClient(
          /** @type {{ url: string }} */ (region.nodes[nodeOf(i, cfg, setup)]).url,
          [docName(i, cfg)],
          stats,
        ),
    );
    log(
      `${setup.id}: ${cfg.clients} clients connected to ${setup.nodes} node(s) in ` +
        `${Math.round(performance.now() - t0)} ms (${stats.errors.length} errors)`,
    );
    const pids = region.nodes.map((n) => n.server.pid);
    const probes = nodeProbes(region.nodes);
    const pgPort = setup.store === 'postgres' ? localPort(PG_URL, 5432) : undefined;
    const redisPort = setup.store === 'postgres' ? localPort(REDIS_URL, 6379) : undefined;
    /** @type {import('./relay-phases.mjs').Target} */
    const target = {
      name: setup.id,
      pids,
      stats,
      clients,
      push: (i, n) => clients[i]?.push(docName(i, cfg), n),
      others: cfg.clients / cfg.docs - 1,
      probe: probes.probe,
      ...(pgPort !== undefined || redisPort !== undefined
        ? { services: serviceCpuMeter({ clients: () => pids, pgPort, redisPort }) }
        : {}),
    };
    const satOpts = { batch: cfg.batch, drainMs: cfg.drainMs };
    const warm = await saturate(target, { ...satOpts, seconds: cfg.warmupS });
    log(`${setup.id} warm-up: ${describeSaturated(warm)}`);
    const pressure0 = cpuPressure();
    const sat = await saturate(target, { ...satOpts, seconds: cfg.phaseS });
    const pressure = cpuPressure();
    log(`${setup.id} saturated: ${describeSaturated(sat)}; CPU pressure ${pressure ?? '?'}%`);
    const perNode = probes.perNode(sat.seconds).map((internals, i) => ({
      node: i + 1,
      clients: clients.filter((_, c) => nodeOf(c, cfg, setup) === i).length,
      deltasPerSec: internals.commitsPerSec * internals.meanBatch,
      internals,
      rssMb: peakRssMb(/** @type {number} */ (pids[i])),
    }));
    for (const n of perNode) {
      log(
        `  node ${n.node} (${n.clients} clients): ${Math.round(n.deltasPerSec)} deltas/s committed` +
          describeInternals(n.internals),
      );
    }
    // Every store commit the nodes made since they started (warm-up and drains included).
    const commits = (await Promise.all(region.nodes.map((n) => scrape(n.url)))).reduce(
      (sum, m) => sum + (m.get('helios_commit_seconds_count') ?? 0),
      0,
    );
    return {
      setup,
      args: region.args,
      sat,
      perNode,
      commits,
      cpuPressure: { before: pressure0, after: pressure },
      errors: stats.errors.slice(0, 5),
    };
  } catch (err) {
    const outputs = region.nodes.map((n, i) => `node ${i + 1}:\n${n.server.output()}`);
    throw new Error(`${setup.id} bench failed: ${err}\n${outputs.join('\n')}`);
  } finally {
    for (const c of clients) c.close();
    await region.stop();
  }
}

/**
 * Postgres' settings that decide what a commit costs, as the results record them.
 * @param {pg.Pool} sql
 */
async function postgresSettings(sql) {
  const names = [
    'server_version',
    'synchronous_commit',
    'fsync',
    'wal_sync_method',
    'shared_buffers',
  ];
  const { rows } = await sql.query(
    'SELECT name, setting, unit FROM pg_settings WHERE name = ANY($1::text[])',
    [names],
  );
  return Object.fromEntries(
    rows.map((r) => [r.name, r.unit ? `${r.setting} ${r.unit}` : r.setting]),
  );
}

/**
 * How often the nodes' commits were refused for stale values and redone (PostgresStore: a value
 * computed without another node's change to its document fails the commit statement, which is
 * then run again in a transaction holding the region's head row, after loading what was
 * missed). Postgres counts the rows a statement updated or inserted even when it failed, so
 * once the nodes are gone (their backends flush their counts as they exit) the head row's
 * updates are the commit statements run, and the changes inserted past the head are the
 * inserts rolled back.
 * @param {pg.Pool} sql
 * @param {string} schema
 * @param {number} commits the store commits the nodes reported
 */
async function staleCommits(sql, schema, commits) {
  await sql.query('SELECT pg_stat_clear_snapshot()');
  const { rows } = await sql.query(
    `SELECT relname, n_tup_ins, n_tup_upd FROM pg_stat_user_tables
     WHERE schemaname = $1 AND relname IN ('heads', 'changes')`,
    [schema],
  );
  const heads = await sql.query(`SELECT sum(seq) AS seq FROM ${schema}.heads`);
  const stat = (/** @type {string} */ t, /** @type {string} */ k) =>
    Number(rows.find((r) => r.relname === t)?.[k] ?? 0);
  const statements = stat('heads', 'n_tup_upd');
  const committed = Number(heads.rows[0]?.seq ?? 0);
  return {
    commits,
    statements,
    refused: statements - commits,
    changesCommitted: committed,
    changesRolledBack: stat('changes', 'n_tup_ins') - committed,
  };
}

/**
 * @typedef {Awaited<ReturnType<typeof benchSetup>> &
 *   { stale?: Awaited<ReturnType<typeof staleCommits>> }} ScaleRun
 */

/**
 * @param {{ quick: boolean, log: (s: string) => void, only?: string[] }} opts `only`: the
 *   setups to run, by id (sqlite1, pg1, pg2, pg3, pg2bydoc)
 */
export async function runRelayScale({ quick, log, only }) {
  const cfg = quick ? QUICK : FULL;
  if (cfg.clients % cfg.docs !== 0) throw new Error('clients must be a multiple of docs');
  const setups = SETUPS.filter((s) => only === undefined || only.includes(s.id));
  const watchdogMin = 2 + 2 * setups.length;
  const watchdog = setTimeout(() => {
    console.error(`relay-scale bench: watchdog fired after ${watchdogMin} minutes`);
    process.exit(1);
  }, watchdogMin * 60_000);
  watchdog.unref();
  log(
    `relay-scale: ${cfg.clients} clients, ${cfg.docs} documents (${cfg.clients / cfg.docs} ` +
      `subscribers each), ${cfg.phaseS} s phases, load ${loadAverage()}, CPU pressure ` +
      `${cpuPressure() ?? '?'}%`,
  );
  const sql = new pg.Pool({ connectionString: PG_URL, max: 1 });
  sql.on('error', () => {});
  const tag = `${process.pid}_${randomBytes(3).toString('hex')}`;
  try {
    const postgres = await postgresSettings(sql);
    /** @type {ScaleRun[]} */
    const runs = [];
    for (const setup of setups) {
      const schema = `helios_bench_scale_${tag}_${setup.id}`;
      try {
        const run = await benchSetup(cfg, setup, { log, tag });
        if (setup.store === 'sqlite') {
          runs.push(run);
          continue;
        }
        await new Promise((r) => setTimeout(r, 1000)); // the backends' last counts
        const stale = await staleCommits(sql, schema, run.commits);
        log(
          `${setup.id}: ${stale.refused} of ${stale.statements} commit statements refused for ` +
            `stale values and redone; ${stale.changesRolledBack} change rows rolled back, ` +
            `${stale.changesCommitted} committed`,
        );
        runs.push({ ...run, stale });
      } finally {
        await sql.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      }
    }
    return {
      results: buildScaleResults(cfg, runs),
      config: {
        run: cfg,
        relay: `helios-relay CLI (@helios/server ${packageVersion('@helios/server')}), one process per node`,
        nodeFlags: SERVER_NODE_FLAGS.join(' '),
        setups: Object.fromEntries(runs.map((r) => [r.setup.id, { ...r.setup, args: r.args }])),
        postgres: { url: PG_URL.replace(/\/\/[^@]*@/, '//<user>@'), ...postgres },
        redis: REDIS_URL,
        placement:
          'spread: client i → node ((i mod docs) + floor(i / docs)) mod nodes, the subscribers ' +
          'of each document take the nodes in turn; otherwise client i → node (i mod docs) mod ' +
          'nodes, all subscribers of a document on one node',
      },
    };
  } finally {
    clearTimeout(watchdog);
    await sql.end();
  }
}
