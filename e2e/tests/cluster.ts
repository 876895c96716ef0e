import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
// The demo's own scripts: the e2e suite runs exactly what `npm start` runs.
import { REGIONS, relayPort } from '../../apps/demo-cart/scripts/regions.mjs';
import { startRelays, stopRelays } from '../../apps/demo-cart/scripts/relays.mjs';
import { serveStatic } from '../../apps/demo-cart/scripts/static-server.mjs';

type RunningRelay = Awaited<ReturnType<typeof startRelays>>[number];

/**
 * Five relays (real latencies injected) and the built demo, on ports of their own. `running`
 * starts only some of the relays: the demo still lists all five, the others are down until
 * {@link Cluster.restart}.
 */
export class Cluster {
  readonly shopUrl: string;
  readonly #dataDir: string;
  readonly #basePort: number;
  #relays: RunningRelay[];
  readonly #server: Server;

  private constructor(
    shopUrl: string,
    dataDir: string,
    basePort: number,
    relays: RunningRelay[],
    server: Server,
  ) {
    this.shopUrl = shopUrl;
    this.#dataDir = dataDir;
    this.#basePort = basePort;
    this.#relays = relays;
    this.#server = server;
  }

  static async start({
    basePort = 4301,
    shopPort = 4300,
    running = REGIONS,
  }: {
    basePort?: number;
    shopPort?: number;
    running?: readonly string[];
  } = {}): Promise<Cluster> {
    const dataDir = mkdtempSync(join(tmpdir(), 'helios-e2e-'));
    const relays = await startRelays({ dataDir, basePort, only: [...running] });
    const server = await serveStatic({
      root: fileURLToPath(new URL('../../apps/demo-cart/dist', import.meta.url)),
      port: shopPort,
      config: {
        regions: REGIONS.map((region) => ({
          region,
          url: `http://127.0.0.1:${relayPort(region, basePort)}`,
        })),
      },
    });
    return new Cluster(`http://127.0.0.1:${shopPort}`, dataDir, basePort, relays, server as Server);
  }

  /** The shop, with this tab's home region chosen. */
  url(region: string): string {
    return `${this.shopUrl}/?region=${region}`;
  }

  /** SIGKILLs one region's relay: no flush, no goodbye. */
  async kill(region: string): Promise<void> {
    const relay = this.#relays.find((r) => r.region === region)!;
    await new Promise<void>((resolve) => {
      relay.child.once('exit', () => resolve());
      relay.child.kill('SIGKILL');
    });
  }

  /** Restarts a killed relay on the same database (or starts one not `running` yet). */
  async restart(region: string): Promise<void> {
    const all = await startRelays({
      dataDir: this.#dataDir,
      basePort: this.#basePort,
      only: [region],
    });
    this.#relays = this.#relays.filter((r) => r.region !== region).concat(all);
  }

  async stop(): Promise<void> {
    this.#server.close();
    await stopRelays(this.#relays);
    rmSync(this.#dataDir, { recursive: true, force: true });
  }
}

export { REGIONS };
