/**
 * The relay benchmark's restart phase: with every client connected and subscribed, the relay is
 * stopped (SIGTERM, a deploy) or killed (SIGKILL, a crash), started again on the same port and
 * database, and every client comes back as the SDK would (`HeliosClient.rejoin`). Measured until
 * the last client is re-subscribed (both sync replies in) and has one write acked.
 */
import { cpuSeconds, exited, ownCpuSeconds } from './proc.mjs';
import { pct } from './relay-metrics.mjs';
import { percentile } from './stats.mjs';

/** How long the clients may take to come back before the phase gives up on the rest (ms). */
const REJOIN_TIMEOUT_MS = 30_000;

/**
 * @param {{ child: import('node:child_process').ChildProcess, pid: number }} server the relay
 * @param {() => Promise<{ child: import('node:child_process').ChildProcess, pid: number }>} start
 *   starts the relay again (same port, same database); resolves once it printed "listening"
 * @param {import('./relay-clients.mjs').HeliosClient[]} clients
 * @param {NodeJS.Signals} signal `SIGKILL`: a crash, nothing closes; `SIGTERM`: the relay's
 *   graceful stop
 */
export async function restartStorm(server, start, clients, signal) {
  const back = clients.map((c) =>
    c.rejoin().then(
      (r) => r,
      () => undefined,
    ),
  );
  const errors0 = clients[0]?.stats.errors.length ?? 0;
  const killedAt = performance.now();
  const gone = new Promise((resolve) => server.child.once('exit', resolve));
  server.child.kill(signal);
  if (!exited(server.child)) await gone;
  const exitedAt = performance.now();
  const relay = await start();
  const listeningAt = performance.now();
  const relayCpu0 = cpuSeconds(relay.pid);
  const ownCpu0 = ownCpuSeconds();
  /** @type {({ at: number, dialledAt: number, dials: number } | undefined)[]} */
  const done = await Promise.race([
    Promise.all(back),
    new Promise((resolve) => setTimeout(resolve, REJOIN_TIMEOUT_MS)).then(() => []),
  ]);
  const relayCpu = cpuSeconds(relay.pid) - relayCpu0;
  const ownCpu = ownCpuSeconds() - ownCpu0;
  const finished = /** @type {{ at: number, dialledAt: number, dials: number }[]} */ (
    done.filter(Boolean)
  );
  const fromListening = finished.map((r) => r.at - listeningAt);
  const last = finished.length > 0 ? Math.max(...finished.map((r) => r.at)) : Number.NaN;
  return {
    relay,
    signal,
    clients: clients.length,
    rejoined: finished.length,
    /** Kill → the relay's process gone. */
    exitMs: exitedAt - killedAt,
    /** Process gone → the new relay printed "listening" (start-up: node, SQLite open). */
    startMs: listeningAt - exitedAt,
    /** "listening" → the last client re-subscribed and acked (NaN if some never were). */
    fromListeningMs: finished.length === clients.length ? last - listeningAt : Number.NaN,
    /** The signal → the same. */
    fromKillMs: finished.length === clients.length ? last - killedAt : Number.NaN,
    /**
     * The first dial that got through → the last client back: the relay's share, without the
     * time the clients' backoff left it idle after "listening".
     */
    servedMs:
      finished.length === clients.length
        ? last - Math.min(...finished.map((r) => r.dialledAt))
        : Number.NaN,
    fromListeningP50Ms: fromListening.length > 0 ? percentile(fromListening, 50) : Number.NaN,
    /** Dials per client: failed attempts while the relay was down, plus the one that worked. */
    meanDials: finished.reduce((sum, r) => sum + r.dials, 0) / Math.max(1, finished.length),
    errors: (clients[0]?.stats.errors.length ?? 0) - errors0,
    /** CPU seconds of the new relay (all its threads) and of this process, after "listening". */
    relayCpu,
    ownCpu,
  };
}

/** @param {Awaited<ReturnType<typeof restartStorm>>} r */
export function describeRestart(r) {
  const ms = (/** @type {number} */ x) => `${Math.round(x)} ms`;
  return (
    `${r.signal}: ${r.rejoined}/${r.clients} clients back (subscribed, caught up, one write ` +
    `acked) ${ms(r.fromListeningMs)} after "listening" (p50 ${ms(r.fromListeningP50Ms)}), ` +
    `${ms(r.fromKillMs)} after the signal (exit ${ms(r.exitMs)}, start-up ${ms(r.startMs)}), ` +
    `${ms(r.servedMs)} from the first dial that got through; ` +
    `${r.meanDials.toFixed(2)} dials per client, ${r.errors} errors, CPU after "listening": ` +
    `relay ${r.relayCpu.toFixed(2)} s, generator ${r.ownCpu.toFixed(2)} s, ` +
    `${pct(r.rejoined / r.clients)} back`
  );
}
