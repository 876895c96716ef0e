import type { SocketIoTransport, Transport } from '@helios/transport';
import type { Clock } from './clock.js';
import type { LocalDurability } from './persistence/idb-persistence.js';
import type { ClientPersistence } from './persistence/persistence.js';
import type { MemoryTransport } from './transport/memory-transport.js';

export interface ClientOptions {
  /** Relay URLs in order of preference: the home region first, then the failover order. */
  readonly relays: readonly string[];
  /** Name of the local database; tabs with the same name share documents. Default `helios`. */
  readonly dbName?: string;
  /** Token for the relay's authenticate hook, or a function returning a fresh one. */
  readonly auth?: {
    readonly token?: string | (() => string | undefined | Promise<string | undefined>);
  };
  /**
   * Where documents are kept: `indexeddb` (the default where it exists), `memory` (the default
   * elsewhere, e.g. Node), or your own implementation.
   */
  readonly persistence?: 'indexeddb' | 'memory' | ClientPersistence;
  /**
   * What receipt level `local` promises with IndexedDB: `relaxed` (the default), a committed write
   * survives the tab or the browser crashing; `strict`, also the operating system crashing or
   * the power going, for about a millisecond more per commit. Either way a write is safe from
   * every crash once it reaches `relay`. See docs/concepts.md, "Write receipts".
   */
  readonly localDurability?: LocalDurability;
  /** Most replica ids one browser profile uses at once (one per concurrently open tab). Default 8. */
  readonly maxReplicaSlots?: number;
  /**
   * Stored deltas of a document after which it is compacted into a snapshot, once they also
   * weigh as many encoded bytes as the snapshot (a large document is not re-encoded every few
   * hundred writes). Default 500.
   */
  readonly compactEvery?: number;
  /**
   * Ask relays for each write's arrival in every peer region, so `client.events` shows a
   * `region` step per region between `relay` and `global` (devtools; docs/devtools.md). Off by
   * default: each costs a small message per peer region.
   */
  readonly regionTrail?: boolean;
  /** Start offline (no connection until `setOnline(true)`). Default false. */
  readonly offline?: boolean;
  /** While failed over, how often to check whether the home relay is back (ms). Default 3000. */
  readonly homeProbeMs?: number;
  /** Share writes with other tabs of this profile over BroadcastChannel. Default true where available. */
  readonly tabSync?: boolean;
  /**
   * How relays are reached. Default: a {@link SocketIoTransport} (WebSocket). Tests pass a
   * {@link MemoryTransport} to reach relays in the same process, with latency, drops and
   * partitions under their control.
   */
  readonly transport?: Transport;
  /**
   * Where the client reads the time and sets its timers (retries, failover, holds, the home
   * probe). Default: the system clock. Tests pass a manual clock to step through time.
   */
  readonly clock?: Clock;
}
