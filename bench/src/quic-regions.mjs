/**
 * The two regions of the QUIC benchmark: relays A and B as processes of their own
 * (`quic-relay.mjs`, SQLite in a temporary folder), peered through the proxies of
 * `quic-links.mjs`, A dialling B and B dialling A. Relays run apart from the benchmark process,
 * so the clients and proxies here do not slow them down.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, removeOnExit, startServer, stopChild } from './proc.mjs';
import { startLinks } from './quic-links.mjs';

const RELAY = fileURLToPath(new URL('./quic-relay.mjs', import.meta.url));
/** The region names of the relays' configurations. */
export const REGION_NAMES = { A: 'eu-west-1', B: 'ap-southeast-1' };
const PEER_TOKEN = 'quic-bench';

/** A relay asked for QUIC peer links by a server that does not support them. */
export class QuicUnsupportedError extends Error {}

/**
 * @param {{ transport: 'ws' | 'quic', delay: import('./quic-links.mjs').Delay, seed: number }} opts
 */
export async function startRegions({ transport, delay, seed }) {
  const dir = mkdtempSync(join(tmpdir(), `helios-quic-bench-${transport}-`));
  const cleanup = removeOnExit(dir);
  const ports = { A: await freePort(), B: await freePort() };
  const links = await startLinks(ports, delay, seed);
  /** @type {Record<'A' | 'B', Awaited<ReturnType<typeof startServer>> | undefined>} */
  const relays = { A: undefined, B: undefined };
  const peerOf = { A: /** @type {const} */ ('B'), B: /** @type {const} */ ('A') };

  const launch = async (/** @type {'A' | 'B'} */ side) => {
    const peer = peerOf[side];
    const spec = {
      region: REGION_NAMES[side],
      port: ports[side],
      db: join(dir, `${side}.sqlite`),
      peers: [{ region: REGION_NAMES[peer], url: links.urls[side] }],
      transport,
      peerToken: PEER_TOKEN,
    };
    try {
      relays[side] = await startServer([RELAY, JSON.stringify(spec)], /listening on/);
    } catch (err) {
      const m = /quic unsupported: (.*)/.exec(String(err));
      if (m) throw new QuicUnsupportedError(/** @type {string} */ (m[1]));
      throw err;
    }
  };

  const stop = async () => {
    await Promise.all(Object.values(relays).map((r) => r && stopChild(r.child)));
    await links.close();
    rmSync(dir, { recursive: true, force: true });
    cleanup.forget();
  };
  try {
    await Promise.all([launch('A'), launch('B')]);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    links,
    url: (/** @type {'A' | 'B'} */ side) => `http://127.0.0.1:${ports[side]}`,
    /**
     * Stops `side`'s relay (SIGTERM: it closes its connections and store) and starts it again on
     * the same port and database; resolves when it is listening again.
     */
    async restart(/** @type {'A' | 'B'} */ side) {
      const running = relays[side];
      if (running) await stopChild(running.child);
      await launch(side);
    },
    stop,
  };
}
