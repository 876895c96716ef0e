/**
 * The five regional relays of the multi-region benchmarks, as separate processes of the real
 * CLI with the inter-region latencies of config/regions.json injected on their peer links
 * (fixed, by the relays: `--rtt-file`; or jittered, by proxies: see {@link startCluster}), plus the single servers of the side-by-side runs (a Helios relay without
 * peers, y-websocket's server). Every child process started here is killed when this process
 * exits, whichever way it exits.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { oneWayMs, REGIONS } from '../../../apps/demo-cart/scripts/regions.mjs';
import { relayArgs, startRelays } from '../../../apps/demo-cart/scripts/relays.mjs';
import { exited, freePort, stopChild, track } from '../proc.mjs';
import { holdPorts, startClientProxy, startLinkProxy } from './cluster-proxies.mjs';

export { oneWayMs, REGIONS };

const require = createRequire(import.meta.url);
const YWS_SERVER = join(dirname(require.resolve('y-websocket/package.json')), 'bin', 'server.cjs');

// ─── child processes: none survives us (see ../proc.mjs) ────────────────────────────────────

/** SIGKILL; resolves once the child is gone. */
function killChild(/** @type {import('node:child_process').ChildProcess} */ child) {
  if (exited(child)) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve(undefined));
    child.kill('SIGKILL');
  });
}

// ─── ports ─────────────────────────────────────────────────────────────────────────────────

/** @param {number} port */
function portFree(port) {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** The first of `count` consecutive free ports at or above `from` (relays.mjs numbers them). */
async function freeRange(count, from = 4800) {
  for (let base = from; base < 60000; base += count) {
    let ok = true;
    for (let i = 0; i < count && ok; i++) ok = await portFree(base + i);
    if (ok) return base;
  }
  throw new Error('no free port range');
}

// ─── a relay process ───────────────────────────────────────────────────────────────────────

/**
 * Starts `node <args>` and resolves when its output contains `ready`.
 * @param {string[]} args
 * @param {string} ready
 * @param {{ env?: NodeJS.ProcessEnv, log?: (line: string) => void, timeoutMs?: number }} [opts]
 */
function startProcess(args, ready, opts = {}) {
  // What the process runs, for messages: its script, after any node flags.
  const name = args.find((a) => !a.startsWith('-')) ?? args[0];
  const child = track(
    spawn(process.execPath, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...opts.env },
    }),
  );
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} did not start within ${opts.timeoutMs ?? 20000} ms:\n${out}`));
    }, opts.timeoutMs ?? 20_000);
    const onData = (/** @type {Buffer} */ chunk) => {
      const text = chunk.toString();
      out = (out + text).slice(-8000);
      for (const line of text.split('\n')) if (line.trim()) opts.log?.(line);
      if (out.includes(ready)) {
        clearTimeout(timer);
        child.off('exit', onExit);
        resolve(child);
      }
    };
    const onExit = (/** @type {number | null} */ code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code}:\n${out}`));
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
  });
}

// ─── the five regions ──────────────────────────────────────────────────────────────────────

/**
 * @typedef {{
 *   regions: readonly string[],
 *   dataDir: string,
 *   url(region: string): string,
 *   clientUrl(region: string, from?: string): string,
 *   port(region: string): number,
 *   isUp(region: string): boolean,
 *   kill(region: string): Promise<void>,
 *   restart(region: string): Promise<void>,
 *   partition(region: string): void,
 *   heal(region: string): void,
 *   partitioned(region: string): boolean,
 *   recordDelays(on: boolean): void,
 *   appliedDelays(from: string, to: string): number[],
 *   stop(): Promise<void>,
 * }} Cluster
 */

/**
 * Starts the five relays, their peer links over `peerTransport` (default `ws`).
 *
 * Unproxied (no `partitionable`, `jitter` nor `clientProxies`), this is exactly the demo's
 * `startRelays` (relays.mjs): every relay dials its peers' ports directly, and the relays inject
 * the fixed one-way delays themselves (`--rtt-file`). Proxied, each directed peer link (relay A
 * pulling B's feed) dials a proxy of its own in front of B, so that a region can be cut off from
 * the others: relays.mjs wires peer URLs to the relays' own ports, so it cannot do that, and this
 * launcher passes the same arguments with the proxies' URLs instead. Over QUIC the proxy is a
 * TCP and a UDP proxy on one port, since a QUIC link dials the UDP port of its peer URL (and
 * falls back to WebSocket, the TCP port, when UDP does not answer).
 *
 * - `jitter` (a fraction, e.g. 0.1): the peer-link proxies, not the relays, delay each chunk by
 *   the pair's one-way delay ± that fraction of it, uniform, in order (link-jitter.mjs); what
 *   they applied is recorded between `recordDelays(true)` and `recordDelays(false)`.
 * - `clientProxies`: the clients of each region reach each relay through a proxy of their own
 *   (`clientUrl(relay, from)`), delaying both ways by the one-way delay between the two regions
 *   (none to their own region's relay), so a client that fails over pays the distance. A
 *   partition of a region cuts every proxy to its relay too: its clients lose their home relay
 *   and fail over. Without it a partition cuts only relay-to-relay links and `clientUrl` is the
 *   relay's URL.
 *
 * @param {{ partitionable?: boolean, latency?: boolean, jitter?: number,
 *   clientProxies?: boolean, log?: (line: string) => void,
 *   peerTransport?: import('./peer-transport.mjs').PeerTransport }} [opts]
 * @returns {Promise<Cluster>}
 */
export async function startCluster({
  partitionable = false,
  latency = true,
  jitter,
  clientProxies = false,
  log,
  peerTransport = 'ws',
} = {}) {
  const proxied = partitionable || clientProxies || jitter !== undefined;
  const dataDir = mkdtempSync(join(tmpdir(), 'helios-mr-bench-'));
  /** @type {Map<string, import('node:child_process').ChildProcess>} */
  const children = new Map();
  /** @type {Map<string, number>} */
  const ports = new Map();
  /** Directed links `${puller}>${served}` → proxy. */
  /** @type {Map<string, import('./cluster-proxies.mjs').LinkProxy>} */
  const links = new Map();
  /** `${client region}>${relay region}` → the proxy those clients dial (with `clientProxies`). */
  /** @type {Map<string, import('./cluster-proxies.mjs').LinkProxy>} */
  const fronts = new Map();
  const proxies = () => [...links.values(), ...fronts.values()];
  /** @type {Set<string>} */
  const cutOff = new Set();
  /** @type {(region: string) => Promise<void>} */
  let launch;

  try {
    if (!proxied) {
      const basePort = await freeRange(REGIONS.length);
      REGIONS.forEach((r, i) => {
        ports.set(r, basePort + i);
      });
      launch = async (region) => {
        const [relay] = await startRelays({
          dataDir,
          basePort,
          latency,
          peerTransport,
          only: [region],
          ...(log ? { log } : {}),
        });
        children.set(region, track(/** @type {NonNullable<typeof relay>} */ (relay).child));
      };
    } else {
      for (const r of REGIONS) ports.set(r, await freePort());
      // The proxies listen on ports the OS picks: held meanwhile, the relays' ports cannot be
      // among them (a relay would then fail to listen with EADDRINUSE).
      const held = await holdPorts([...ports.values()]);
      let seed = 1;
      for (const puller of REGIONS) {
        for (const served of REGIONS) {
          if (puller === served) continue;
          const delay =
            jitter === undefined || !latency
              ? undefined
              : { puller, served, oneWayMs: oneWayMs(puller, served), jitter, seed: seed++ };
          links.set(
            `${puller}>${served}`,
            await startLinkProxy(/** @type {number} */ (ports.get(served)), peerTransport, delay),
          );
        }
        if (clientProxies) {
          for (const from of REGIONS) {
            const delay = from === puller ? 0 : oneWayMs(from, puller);
            const port = /** @type {number} */ (ports.get(puller));
            fronts.set(`${from}>${puller}`, await startClientProxy(port, delay));
          }
        }
      }
      await held.release();
      launch = async (region) => {
        const args = relayArgs({
          region,
          host: '127.0.0.1',
          port: /** @type {number} */ (ports.get(region)),
          db: join(dataDir, `${region}.sqlite`),
          // With jitter the proxies delay the peer links; the relays must not add theirs.
          latency: latency && jitter === undefined,
          peerTransport,
          peers: REGIONS.filter((r) => r !== region).map((peer) => [
            peer,
            /** @type {import('./cluster-proxies.mjs').LinkProxy} */ (
              links.get(`${region}>${peer}`)
            ).url,
          ]),
        });
        const child = await startProcess(args, 'listening on', {
          log: (line) => log?.(`[${region}] ${line}`),
        });
        children.set(region, child);
      };
    }
    await Promise.all(REGIONS.map((r) => launch(r)));
  } catch (err) {
    await Promise.all([...children.values()].map(killChild));
    for (const p of proxies()) await p.close();
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }

  /** @param {string} region */
  const portOf = (region) => {
    const port = ports.get(region);
    if (port === undefined) throw new Error(`unknown region ${region}`);
    return port;
  };
  const models = proxies().flatMap((p) => p.models);

  return {
    regions: REGIONS,
    dataDir,
    url: (region) => `http://127.0.0.1:${portOf(region)}`,
    clientUrl: (region, from = region) =>
      fronts.get(`${from}>${region}`)?.url ?? `http://127.0.0.1:${portOf(region)}`,
    port: portOf,
    isUp: (region) => {
      const child = children.get(region);
      return child !== undefined && !exited(child);
    },
    async kill(region) {
      const child = children.get(region);
      if (child) await killChild(child);
    },
    async restart(region) {
      const child = children.get(region);
      if (child && !exited(child)) throw new Error(`${region} is still running`);
      await launch(region);
    },
    partition(region) {
      if (!proxied) throw new Error('start the cluster with partitionable: true');
      cutOff.add(region);
      for (const [key, proxy] of links) if (key.split('>').includes(region)) proxy.cut();
      for (const [key, proxy] of fronts) if (key.endsWith(`>${region}`)) proxy.cut();
    },
    heal(region) {
      cutOff.delete(region);
      for (const [key, proxy] of links) {
        const ends = key.split('>');
        // A link stays down while either of its ends is still cut off.
        if (ends.includes(region) && !ends.some((r) => cutOff.has(r))) proxy.heal();
      }
      for (const [key, proxy] of fronts) if (key.endsWith(`>${region}`)) proxy.heal();
    },
    partitioned: (region) => cutOff.has(region),
    recordDelays(on) {
      for (const m of models) m.recording = on;
    },
    appliedDelays: (from, to) => models.flatMap((m) => m.delays.get(`${from}>${to}`) ?? []),
    async stop() {
      await Promise.all([...children.values()].map((c) => stopChild(c)));
      for (const p of proxies()) await p.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

// ─── single servers for the side-by-side runs ──────────────────────────────────────────────

/**
 * One Helios relay without peers (same CLI and storage as the regional relays).
 * @returns {Promise<{ url: string, port: number, pid: number, stop(): Promise<void> }>}
 */
export async function startSingleRelay(region = 'us-east-1') {
  const dataDir = mkdtempSync(join(tmpdir(), 'helios-mr-single-'));
  const port = await freePort();
  const child = await startProcess(
    relayArgs({
      region,
      host: '127.0.0.1',
      port,
      db: join(dataDir, 'relay.sqlite'),
      peers: [],
      latency: false,
    }),
    'listening on',
  );
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    pid: /** @type {number} */ (child.pid),
    async stop() {
      await stopChild(child);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * y-websocket's own server (`bin/server.cjs`: `ws` + `setupWSConnection` of `bin/utils`), in
 * memory (no YPERSISTENCE), as its README runs it.
 * @returns {Promise<{ url: string, port: number, pid: number, stop(): Promise<void> }>}
 */
export async function startYWebsocket() {
  const port = await freePort();
  const child = await startProcess([YWS_SERVER], 'running at', {
    env: { HOST: '127.0.0.1', PORT: String(port) },
  });
  return {
    url: `ws://127.0.0.1:${port}`,
    port,
    pid: /** @type {number} */ (child.pid),
    stop: () => stopChild(child),
  };
}
