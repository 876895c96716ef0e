import {
  type Authenticate,
  type ConnectionLimits,
  createRelay,
  MemoryStore,
  type Relay,
  type RelayStore,
  SqliteStore,
} from '@helios/server';
import { freePort, TcpProxy } from '@helios/test-kit';
import { pino } from 'pino';
import { type ClientOptions, createClient, type HeliosClient } from '../index.js';
import { freshDb } from './fresh-db.js';

export { freePort, freshDb };

/** Polls `check` every 5 ms until it holds; throws after `ms`. */
export async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms: ${what}`);
    await sleep(5);
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const silent = pino({ level: 'silent' });

export interface RelaySpec {
  readonly region: string;
  readonly port?: number;
  readonly store?: RelayStore;
  readonly peers?: readonly { url: string; region: string }[];
  readonly limits?: Partial<ConnectionLimits>;
  /**
   * Who the relay admits; anonymous (everyone) by default. An admitted user may access every
   * document (`openAccess`): these relays test connections, not authorization.
   */
  readonly authenticate?: Authenticate;
}

export interface RunningRelay {
  readonly relay: Relay;
  readonly url: string;
  readonly port: number;
}

/**
 * What a test opened (relays, clients, proxies), closed in reverse order at the end. Closing
 * twice is harmless: clients and relays ignore a second close.
 */
export class Resources {
  readonly #open: { close(): unknown }[] = [];

  track<T extends { close(): unknown }>(resource: T): T {
    this.#open.push(resource);
    return resource;
  }

  async closeAll(): Promise<void> {
    for (const r of this.#open.splice(0).reverse()) {
      try {
        await r.close();
      } catch {
        // already closed
      }
    }
  }

  async relay(spec: RelaySpec): Promise<RunningRelay> {
    const relay = createRelay({
      region: spec.region,
      store: spec.store ?? new MemoryStore({ region: spec.region }),
      ...(spec.authenticate
        ? { authenticate: spec.authenticate, openAccess: true }
        : { anonymous: true }),
      logger: silent,
      ...(spec.peers ? { peers: spec.peers } : {}),
      ...(spec.limits ? { limits: spec.limits } : {}),
    });
    this.track(relay);
    const { url, port } = await relay.listen(spec.port ?? 0);
    return { relay, url, port };
  }

  client(relays: readonly string[], options: Partial<ClientOptions> = {}): HeliosClient {
    return this.track(createClient({ relays, dbName: freshDb(), homeProbeMs: 100, ...options }));
  }

  async proxy(targetPort: number): Promise<{ proxy: TcpProxy; url: string }> {
    const proxy = this.track(new TcpProxy(targetPort));
    return { proxy, url: await proxy.listen() };
  }

  /**
   * Relays of `regions`, each a peer of all the others. Every peer link goes through its own
   * proxy (`links.get('a->b')`: a's pull of b's feed), so a test can partition regions.
   * With `storeDir`, relays keep SQLite files there and {@link Mesh.restart} keeps their data.
   */
  async mesh(regions: readonly string[], storeDir?: string): Promise<Mesh> {
    const ports = new Map<string, number>();
    for (const region of regions) ports.set(region, await freePort());
    const links = new Map<string, TcpProxy>();
    const peerUrls = new Map<string, string>();
    for (const from of regions) {
      for (const to of regions) {
        if (from === to) continue;
        const { proxy, url } = await this.proxy(ports.get(to)!);
        links.set(`${from}->${to}`, proxy);
        peerUrls.set(`${from}->${to}`, url);
      }
    }
    const relays = new Map<string, RunningRelay>();
    const start = async (region: string): Promise<RunningRelay> => {
      const store = storeDir
        ? await SqliteStore.open({
            path: `${storeDir}/${region}.db`,
            region,
            synchronous: 'normal',
          })
        : new MemoryStore({ region });
      const running = await this.relay({
        region,
        port: ports.get(region)!,
        store,
        peers: regions
          .filter((r) => r !== region)
          .map((r) => ({ region: r, url: peerUrls.get(`${region}->${r}`)! })),
      });
      relays.set(region, running);
      return running;
    };
    for (const region of regions) await start(region);
    return {
      relays,
      url: (region) => relays.get(region)!.url,
      links,
      partition(region, cut) {
        for (const [key, proxy] of links) {
          if (key.startsWith(`${region}->`) || key.endsWith(`->${region}`)) {
            if (cut) proxy.cut();
            else proxy.heal();
          }
        }
      },
      async stop(region) {
        await relays.get(region)!.relay.close();
      },
      start,
    };
  }
}

export interface Mesh {
  readonly relays: ReadonlyMap<string, RunningRelay>;
  url(region: string): string;
  /** `a->b`: the proxy a pulls b's feed through. */
  readonly links: ReadonlyMap<string, TcpProxy>;
  /** Cuts (or heals) every peer link to and from `region`. */
  partition(region: string, cut: boolean): void;
  /** Closes a relay (graceful: queued commits finish). */
  stop(region: string): Promise<void>;
  /** Starts a relay of the mesh again on its port (with its SQLite data, if any). */
  start(region: string): Promise<RunningRelay>;
}
