import type { DocumentId, ReplicaId } from '@helios/core';
import type { RelayMetrics } from './metrics.js';
import type { RelayOptions } from './options.js';
import { ratchet } from './region-closure.js';
import { RelayNode } from './relay-node.js';

/** A running (or ready to run) regional relay. */
export interface Relay {
  readonly region: string;
  readonly relayId: string;
  /**
   * The relay node's own replica, which holds the bounded-counter rights it grants: made from
   * the store's epoch and the node's slot of the store (docs/architecture.md §5.2), so the same
   * after a restart. Undefined while the node holds no slot: before `listen` with a Postgres
   * store, after its slot's lock was lost (until it claims one again), when every slot is held,
   * or when several nodes share a store that has no slots.
   */
  readonly replica: ReplicaId | undefined;
  readonly metrics: RelayMetrics;
  /**
   * Starts serving Socket.IO, `/metrics` and `/healthz` on `port` (0 picks a free one) and
   * connects to the peers. Resolves with the URL clients use.
   */
  listen(port?: number, host?: string): Promise<{ port: number; url: string }>;
  /**
   * Folds the entries of every replica of an epoch below `frontier` in the G- or PN-Counter
   * `doc` into one, as this relay's own write that replicates like any other
   * (docs/compaction.md). The caller asserts that every region retired those epochs
   * (`retiredEpochsBelow`) and that this region has merged every write accepted from them.
   * Resolves `false` when the counter is folded that far already.
   */
  foldRetired(doc: DocumentId, frontier: number): Promise<boolean>;
  /**
   * Graceful shutdown: refuses new connections, waits for queued commits, closes peer links,
   * client connections and the store.
   */
  close(): Promise<void>;
}

/**
 * Creates a relay for one region. It does nothing until `listen` is called.
 *
 * @example
 * const relay = createRelay({ region: 'us-east-1', store: await SqliteStore.open({ path, region }), anonymous: true });
 * const { url } = await relay.listen(4101);
 */
export function createRelay(options: RelayOptions): Relay {
  // Never lower than it was: the region's closure receipt promised to refuse what it closed.
  const node = new RelayNode({
    ...options,
    retiredEpochsBelow: ratchet(options.retiredEpochsBelow),
  });
  return {
    region: node.region,
    relayId: node.relayId,
    get replica() {
      return node.relayReplica;
    },
    metrics: node.metrics,
    async listen(port = 0, host = '127.0.0.1') {
      const address = await node.listen(port, host);
      const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      return { port: address.port, url: `http://${shown}:${address.port}` };
    },
    foldRetired: (doc, frontier) => node.folding.fold(doc, frontier),
    close: () => node.close(),
  };
}
