import { type LinkConditions, LinkModel } from '@helios/test-kit';
import { type ClientOptions, createClient, type HeliosClient } from '../index.js';
import type { DurabilityLevel, Receipt } from '../receipt.js';
import { MemoryTransport } from '../transport/memory-transport.js';
import { freshDb } from './fresh-db.js';
import { ManualClock } from './manual-clock.js';
import { MemoryRelay, type MemoryRelayOptions } from './memory-relay.js';

const ORDER: readonly DurabilityLevel[] = ['pending', 'local', 'relay', 'global'];

/** Whether `receipt` has reached `level` (or a later one). */
export const reached = (receipt: Receipt, level: DurabilityLevel): boolean =>
  ORDER.indexOf(receipt.level) >= ORDER.indexOf(level);

/**
 * Clients and {@link MemoryRelay}s in one process, on one {@link MemoryTransport} and one
 * {@link ManualClock}: no sockets, no ports, no sleeping. Drive time with `clock.until` and
 * `clock.advance`; control the network through `links` (test-kit's link model: latency,
 * jitter, loss, partitions; its nodes are each relay's URL and `'client'`), and `transport`.
 */
export class MemoryWorld {
  readonly clock = new ManualClock();
  /** Every delivery decision of the transport. Without conditions: no delay, no loss. */
  readonly links: LinkModel;
  readonly transport: MemoryTransport;
  readonly #clients: HeliosClient[] = [];

  /** `seed` seeds the link model's decisions; `conditions` are every link's. */
  constructor(options: { readonly seed?: number; readonly conditions?: LinkConditions } = {}) {
    this.links = new LinkModel({ seed: options.seed ?? 0, ...options });
    this.transport = new MemoryTransport({ clock: this.clock, network: this.links });
    // A relay checking a token (WebCrypto, in a worker thread) takes real time: wait for it.
    this.clock.holdWhile(() => this.transport.admitting > 0);
  }

  /** A relay of `region` at `memory://<region>`. */
  relay(region: string, options: Partial<MemoryRelayOptions> = {}): MemoryRelay {
    return new MemoryRelay(this.transport, {
      url: `memory://${region}`,
      region,
      clock: this.clock,
      ...options,
    });
  }

  /** A client of `relays` with a database of its own, on this world's transport and clock. */
  client(relays: readonly string[], options: Partial<ClientOptions> = {}): HeliosClient {
    const client = createClient({
      relays,
      dbName: freshDb(),
      homeProbeMs: 100,
      transport: this.transport,
      clock: this.clock,
      ...options,
    });
    this.#clients.push(client);
    return client;
  }

  /** Runs the world until `receipt` reaches `level`. */
  reach(receipt: Receipt, level: DurabilityLevel): Promise<void> {
    return this.clock.until(() => reached(receipt, level), `a write reaches '${level}'`);
  }

  async close(): Promise<void> {
    for (const client of this.#clients.splice(0).reverse()) await client.close();
  }
}
