// Starts the five regional relays as child processes of the real CLI, fully peered.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { REGIONS, RTT_FILE, relayPort } from './regions.mjs';

const CLI = fileURLToPath(new URL('../../../packages/server/dist/cli.js', import.meta.url));

/**
 * The `node` arguments of one demo relay: the node flag docs/production.md#node-flags
 * recommends, the CLI, anonymous clients (development mode), any origin, the shared peer token,
 * and the inter-region latencies unless `latency` is false.
 * @param {{ region: string, host: string, port: number, db: string, peers: [string, string][],
 *   latency: boolean, peerTransport?: 'ws' | 'quic' }} o
 *   `peers` pairs each other region with the URL this relay dials for it. `peerTransport`
 *   `quic` runs the peer links over QUIC (a self-signed certificate, a development setup: see
 *   docs/quic.md); the default is WebSocket.
 */
export function relayArgs({ region, host, port, db, peers, latency, peerTransport = 'ws' }) {
  return [
    '--max-semi-space-size=64',
    CLI,
    '--region',
    region,
    '--host',
    host,
    '--port',
    String(port),
    '--db',
    db,
    '--anonymous',
    '--cors',
    '*',
    '--peer-token',
    'helios-demo',
    '--log-level',
    'warn',
    ...(latency ? ['--rtt-file', RTT_FILE] : []),
    ...(peerTransport === 'ws' ? [] : ['--peer-transport', peerTransport]),
    ...peers.flatMap(([peer, peerUrl]) => ['--peer', `${peer}=${peerUrl}`]),
  ];
}

/**
 * @typedef {{ region: string, url: string, child: import('node:child_process').ChildProcess }} RunningRelay
 * @param {{ dataDir: string, basePort?: number, latency?: boolean, host?: string, only?: string[],
 *   log?: (line: string) => void, peerUrl?: (from: string, to: string) => string,
 *   peerTransport?: 'ws' | 'quic' }} options
 *   `only` starts a subset (e.g. to restart one relay); its peers are still all five regions.
 *   `peerUrl` is the URL region `from`'s relay dials for peer `to` (default: `to`'s relay itself;
 *   a test routes the links through proxies it can cut).
 * @returns {Promise<RunningRelay[]>} rejects if any relay fails to start, once the others are stopped
 */
export async function startRelays({
  dataDir,
  basePort = 4101,
  latency = true,
  host = '127.0.0.1',
  only = REGIONS,
  log = () => {},
  peerUrl,
  peerTransport = 'ws',
}) {
  const url = (region) => `http://${host}:${relayPort(region, basePort)}`;
  const dial = peerUrl ?? ((_from, to) => url(to));
  const results = await Promise.allSettled(only.map((region) => startRelay(region)));
  const started = results.filter((r) => r.status === 'fulfilled').map((r) => r.value);
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) {
    // The relays that did start would outlive the caller, holding their ports.
    await stopRelays(started);
    throw failed.reason;
  }
  return started;

  function startRelay(region) {
    const args = relayArgs({
      region,
      host,
      port: relayPort(region, basePort),
      db: `${dataDir}/${region}.sqlite`,
      peers: REGIONS.filter((r) => r !== region).map((peer) => [peer, dial(region, peer)]),
      latency,
      peerTransport,
    });
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    return new Promise((resolve, reject) => {
      let out = '';
      const onData = (chunk) => {
        out += chunk.toString();
        for (const line of chunk.toString().split('\n'))
          if (line.trim()) log(`[${region}] ${line}`);
        if (out.includes('listening on')) resolve({ region, url: url(region), child });
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('exit', (code) =>
        reject(new Error(`relay ${region} exited with ${code}:\n${out}`)),
      );
    });
  }
}

/** SIGTERM to every relay; resolves when all have exited (their commits flushed). */
export async function stopRelays(relays) {
  await Promise.all(
    relays.map(
      ({ child }) =>
        new Promise((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', resolve);
          child.kill('SIGTERM');
        }),
    ),
  );
}
