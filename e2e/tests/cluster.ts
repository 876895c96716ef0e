import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TcpProxy } from '@helios/test-kit';
// The demo's own scripts: the e2e suite runs exactly what `npm start` runs.
import { REGIONS, relayPort } from '../../apps/demo-cart/scripts/regions.mjs';
import { startRelays, stopRelays } from '../../apps/demo-cart/scripts/relays.mjs';
import { serveStatic } from '../../apps/demo-cart/scripts/static-server.mjs';
import { openingStock, seedStock } from '../../apps/demo-cart/scripts/warehouse.mjs';

type RunningRelay = Awaited<ReturnType<typeof startRelays>>[number];

/** Units of stock by region, then product (`{ 'eu-west-1': { 'mug-stoneware': 2 } }`). */
export type Stock = Record<string, Record<string, number>>;

/**
 * Five relays (real latencies injected) and the built demo, on ports of their own, with the
 * demo's opening stock unless told otherwise. `running` starts only some of the relays: the demo
 * still lists all five, the others are down until {@link Cluster.restart}. Every link between
 * two regions' relays goes through a proxy of this process, so a region can be cut off from
 * its peers ({@link Cluster.cut}) while its shoppers stay connected to it.
 */
export class Cluster {
  readonly shopUrl: string;
  readonly #dataDir: string;
  readonly #basePort: number;
  #relays: RunningRelay[];
  readonly #server: Server;
  /** The proxy each relay dials for each peer, by `from>to`. */
  readonly #links: ReadonlyMap<string, TcpProxy>;

  private constructor(
    shopUrl: string,
    dataDir: string,
    basePort: number,
    relays: RunningRelay[],
    server: Server,
    links: ReadonlyMap<string, TcpProxy>,
  ) {
    this.shopUrl = shopUrl;
    this.#dataDir = dataDir;
    this.#basePort = basePort;
    this.#relays = relays;
    this.#server = server;
    this.#links = links;
  }

  static async start({
    basePort = 4301,
    shopPort = 4300,
    running = REGIONS,
    stock = openingStock(running),
  }: {
    basePort?: number;
    shopPort?: number;
    running?: readonly string[];
    /** What the warehouse stocks once the relays are up (default: as `npm start` does). */
    stock?: Stock;
  } = {}): Promise<Cluster> {
    const dataDir = mkdtempSync(join(tmpdir(), 'helios-e2e-'));
    const links = new Map<string, TcpProxy>();
    for (const from of REGIONS) {
      for (const to of REGIONS.filter((r) => r !== from)) {
        const proxy = new TcpProxy(relayPort(to, basePort));
        await proxy.listen();
        links.set(`${from}>${to}`, proxy);
      }
    }
    const relays = await startRelays({
      dataDir,
      basePort,
      only: [...running],
      peerUrl: Cluster.#dialer(links),
    });
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
    const cluster = new Cluster(
      `http://127.0.0.1:${shopPort}`,
      dataDir,
      basePort,
      relays,
      server as Server,
      links,
    );
    await cluster.stock(stock);
    return cluster;
  }

  static #dialer(links: ReadonlyMap<string, TcpProxy>): (from: string, to: string) => string {
    return (from, to) => links.get(`${from}>${to}`)!.url;
  }

  /**
   * The warehouse adds `stock` and deposits each region's units with its relay (the demo's
   * scripts/warehouse.mjs, as `npm start` does); resolves once the relays have committed it.
   */
  async stock(stock: Stock): Promise<void> {
    const urls = Object.fromEntries(
      REGIONS.map((r) => [r, `http://127.0.0.1:${relayPort(r, this.#basePort)}`]),
    );
    await seedStock({ urls, stock });
  }

  /**
   * Cuts `region`'s relay off from every peer region (both directions; live links drop, new
   * ones are refused). Its shoppers stay connected to it.
   */
  cut(region: string): void {
    for (const [link, proxy] of this.#links) if (link.split('>').includes(region)) proxy.cut();
  }

  /** Heals every cut link: the relays dial each other again and catch up. */
  heal(): void {
    for (const proxy of this.#links.values()) proxy.heal();
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
      peerUrl: Cluster.#dialer(this.#links),
    });
    this.#relays = this.#relays.filter((r) => r.region !== region).concat(all);
  }

  async stop(): Promise<void> {
    this.#server.close();
    await stopRelays(this.#relays);
    await Promise.all([...this.#links.values()].map((proxy) => proxy.close()));
    rmSync(this.#dataDir, { recursive: true, force: true });
  }
}

export { REGIONS };
