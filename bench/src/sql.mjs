/**
 * SQL benchmark (issue #16): what the Postgres read model costs the relay's commits, and how
 * soon a write made from SQL reaches a client.
 *
 * - Read model overhead: a relay process on the Postgres store (`sql-relay.mjs`), its read model
 *   off, then on, then off and on again (each round a fresh schema), under the same open-loop
 *   load: observers in this process pushing one cart increment each every `writeEveryMs`. The
 *   relay times each commit it hands its store; the figure compares the p99 of both settings.
 * - SQL write → client: with the read model on, an SDK client (memory persistence) holds a
 *   counter; `SELECT <schema>.increment(doc, 1)` every `sqlEveryMs` ms; each write's latency
 *   runs from the call to the client's value showing it.
 */
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from '@helios/client';
import { PNCounter } from '@helios/core';
import pg from 'pg';
import { jwtFor, Observer } from './flood-clients.mjs';
import { track } from './proc.mjs';
import { median, percentile, round2 } from './stats.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const PG_URL = process.env.HELIOS_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const FULL = {
  observers: 20,
  observerDocs: 10,
  writeEveryMs: 20,
  rounds: 2,
  warmupS: 2,
  measureS: 8,
  sqlWrites: 300,
  sqlEveryMs: 50,
};
const QUICK = { ...FULL, rounds: 1, measureS: 3, sqlWrites: 60 };

/** @typedef {import('./core.mjs').Result} Result */

const sleep = (/** @type {number} */ ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts a relay process on a fresh schema; resolves once it listens.
 * @param {string} schema
 * @param {boolean} readModel
 * @param {string} secret
 */
async function startRelay(schema, readModel, secret) {
  const child = fork(join(here, 'sql-relay.mjs'), [schema, readModel ? 'on' : 'off'], {
    env: { ...process.env, HELIOS_TEST_PG_URL: PG_URL, HELIOS_BENCH_JWT_SECRET: secret },
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  track(child);
  const url = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (/** @type {Buffer} */ chunk) => {
      out += chunk.toString();
      const m = /listening on (\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`sql bench relay exited with ${code}`)));
  });
  return {
    url: /** @type {string} */ (url),
    reset: () => child.send('reset'),
    /** @returns {Promise<number[]>} */
    commitMs: () =>
      new Promise((resolve) => {
        child.once('message', (/** @type {{ commitMs: number[] }} */ m) => resolve(m.commitMs));
        child.send('stats');
      }),
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', resolve);
        child.kill('SIGTERM');
      }),
  };
}

/**
 * One round: a relay with the read model on or off under the observers' load.
 * @param {typeof FULL} cfg
 * @param {pg.Pool} sql
 * @param {boolean} readModel
 * @param {number} round
 */
async function loadRound(cfg, sql, readModel, round) {
  const schema = `helios_bench_${readModel ? 'rm' : 'plain'}_${round}_${process.pid}`;
  const secret = randomBytes(16).toString('hex');
  const relay = await startRelay(schema, readModel, secret);
  /** @type {Observer[]} */
  const observers = [];
  /** @type {ReturnType<typeof setInterval>[]} */
  const timers = [];
  try {
    for (let i = 0; i < cfg.observers; i++) {
      const o = new Observer(
        relay.url,
        jwtFor(secret, `user-${i}`),
        `cart:${i % cfg.observerDocs}`,
      );
      await o.start();
      observers.push(o);
    }
    for (const o of observers) timers.push(setInterval(() => o.write(), cfg.writeEveryMs));
    await sleep(cfg.warmupS * 1000);
    relay.reset();
    const acked0 = observers.reduce(
      (n, o) => n + o.writes.filter((w) => w.ms !== undefined).length,
      0,
    );
    await sleep(cfg.measureS * 1000);
    const commits = await relay.commitMs();
    const acked =
      observers.reduce((n, o) => n + o.writes.filter((w) => w.ms !== undefined).length, 0) - acked0;
    for (const t of timers) clearInterval(t);
    const errors = observers.flatMap((o) => o.errors);
    if (errors.length > 0) throw new Error(`writes refused: ${errors.slice(0, 3).join('; ')}`);
    return { commits, writesPerSec: acked / cfg.measureS };
  } finally {
    for (const t of timers) clearInterval(t);
    for (const o of observers) o.close();
    await relay.stop();
    await sql.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  }
}

/**
 * SQL writes to a counter a client holds, one every `sqlEveryMs`: each one's time from the
 * call to the client showing it.
 * @param {typeof FULL} cfg
 * @param {pg.Pool} sql
 */
async function sqlToClient(cfg, sql) {
  const schema = `helios_bench_sqlw_${process.pid}`;
  const secret = randomBytes(16).toString('hex');
  const relay = await startRelay(schema, true, secret);
  const client = createClient({
    relays: [relay.url],
    persistence: 'memory',
    dbName: 'sql-bench',
    auth: { token: jwtFor(secret, 'reader') },
  });
  try {
    const doc = 'likes:sql-bench';
    const likes = client.open(doc, PNCounter);
    await client.ready;
    await likes.loaded;
    likes.increment(1); // the document exists, with its type, before SQL writes to it
    await client.flush('relay');
    /** @type {Map<number, number>} value → when its write was called */
    const calledAt = new Map();
    /** @type {number[]} */
    const latencies = [];
    const stop = likes.subscribe(() => {
      const at = calledAt.get(likes.value);
      if (at === undefined) return;
      calledAt.delete(likes.value);
      latencies.push(performance.now() - at);
    });
    for (let i = 1; i <= cfg.sqlWrites; i++) {
      calledAt.set(1 + i, performance.now());
      await sql.query(`SELECT ${schema}.increment($1, 1)`, [doc]);
      await sleep(cfg.sqlEveryMs);
    }
    const deadline = performance.now() + 10_000;
    while (latencies.length < cfg.sqlWrites && performance.now() < deadline) await sleep(50);
    stop();
    return { latencies, lost: cfg.sqlWrites - latencies.length };
  } finally {
    await client.close();
    await relay.stop();
    await sql.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  }
}

/**
 * @param {{ quick: boolean, log: (s: string) => void }} opts
 * @returns {Promise<{ results: Result[], config: Record<string, unknown> }>}
 */
export async function runSql({ quick, log }) {
  const cfg = quick ? QUICK : FULL;
  const sql = new pg.Pool({ connectionString: PG_URL });
  try {
    /** @type {{ off: number[], on: number[] }} */
    const commits = { off: [], on: [] };
    /** @type {{ off: number[], on: number[] }} */
    const rates = { off: [], on: [] };
    // Alternated, so that a slow moment of the host is not all one setting's.
    for (let round = 0; round < cfg.rounds; round++) {
      for (const readModel of [false, true]) {
        const key = readModel ? 'on' : 'off';
        const r = await loadRound(cfg, sql, readModel, round);
        commits[key].push(...r.commits);
        rates[key].push(r.writesPerSec);
        log(
          `read model ${key}, round ${round + 1}: ${r.commits.length} commits, p50 ${round2(median(r.commits))} ms, ` +
            `p99 ${round2(percentile(r.commits, 99))} ms; ${Math.round(r.writesPerSec)} writes acked/s`,
        );
      }
    }
    const p99 = { off: percentile(commits.off, 99), on: percentile(commits.on, 99) };
    const overheadPct = (p99.on / p99.off - 1) * 100;
    const w = await sqlToClient(cfg, sql);
    log(
      `SQL → client: p50 ${round2(median(w.latencies))} ms, p99 ${round2(percentile(w.latencies, 99))} ms, ` +
        `${w.latencies.length} writes, ${w.lost} not seen`,
    );
    const describe = (/** @type {number[]} */ xs) =>
      `${xs.length} commits, p50 ${round2(median(xs))} ms, p99 ${round2(percentile(xs, 99))} ms`;
    const load = `${cfg.observers} clients (${cfg.observers / cfg.observerDocs} per cart), one cart increment each every ${cfg.writeEveryMs} ms, ${cfg.rounds} rounds of ${cfg.measureS} s per setting, alternated`;
    return {
      results: [
        {
          metric: 'sqlReadModelOverheadPct',
          value: round2(overheadPct),
          unit: '%',
          better: 'lower',
          goal: '<= 20',
          goalMet: overheadPct <= 20 && w.lost === 0,
          note: `relay commit p99 (the store's commit call, timed in the relay) with the read model ${round2(p99.on)} ms against ${round2(p99.off)} ms without; on: ${describe(commits.on)}; off: ${describe(commits.off)}; ${load}`,
        },
        {
          metric: 'sqlWriteToClientP99Ms',
          value: round2(percentile(w.latencies, 99)),
          unit: 'ms',
          better: 'lower',
          goal: '<= 1000',
          goalMet: w.lost === 0 && percentile(w.latencies, 99) <= 1000,
          note: `SELECT increment(doc, 1) → an SDK client's value shows it: p50 ${round2(median(w.latencies))} ms, ${w.latencies.length} writes, one every ${cfg.sqlEveryMs} ms, ${w.lost} not seen within 10 s`,
        },
      ],
      config: {
        ...cfg,
        postgres: (await sql.query('SHOW server_version')).rows[0].server_version,
        store: 'PostgresStore (one relay node, one pool), fresh schema per round',
        writesAckedPerSec: rates,
      },
    };
  } finally {
    await sql.end();
  }
}
