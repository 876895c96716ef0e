import { MAX_REPLICA_ID_LENGTH, type ReplicaId } from '@helios/core';
import { relayReplicaId } from '@helios/core/protocol';
import type { Logger } from 'pino';
import type { RelayMetrics } from './metrics.js';
import type { RelaySlot, RelayStore, SlotFence } from './store/relay-store.js';

/** How long a node without a slot waits before it tries to claim one again (ms). */
const RECLAIM_MS = 1_000;
/** The most node slots of one region: the ids `…`, `….1` up to `….63`. */
export const MAX_NODE_SLOTS = 64;

/** The replica a node writes its rights as, and the fence its commits carry (if any). */
export interface HeldReplica {
  readonly replica: ReplicaId;
  /** Absent for a store no other node shares (SQLite, memory): nobody else can hold it. */
  readonly fence?: SlotFence;
}

/** What a {@link NodeSlot} needs of its node. */
export interface NodeSlotOptions {
  readonly region: string;
  readonly store: RelayStore;
  /** Whether other nodes of the region share the store (a Redis URL is set). */
  readonly shared: boolean;
  readonly logger: Logger;
  readonly metrics: RelayMetrics;
}

/**
 * The node's own replica, which holds the rights of bounded counters it grants
 * (docs/architecture.md §5.2), bound to a slot of the region's store. A store of one node
 * (SQLite, memory) has one slot, 0, always this node's: the id `relay:<region>:<epoch8>`. A
 * store with {@link RelayStore.relaySlots} (Postgres, whether one node or several use it) is
 * claimed from: the lowest free slot, held for the node's life, with its own id (slot 0 keeps
 * the single node's). A slot whose lock is lost (the lock's connection ended, or a commit found
 * it claimed by another node) is this node's no more: it holds no replica, so grants none,
 * and claims a slot again every {@link RECLAIM_MS}. A store shared without slots holds no rights.
 */
export class NodeSlot {
  readonly #options: NodeSlotOptions;
  /** Slots whose replica id fits in a replica id's length. */
  readonly #count: number;
  #held: HeldReplica | undefined;
  #slot: RelaySlot | undefined;
  #claiming: Promise<void> = Promise.resolve();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  constructor(options: NodeSlotOptions) {
    this.#options = options;
    const { region, store } = options;
    let count = 0;
    while (count < MAX_NODE_SLOTS && this.#id(count).length <= MAX_REPLICA_ID_LENGTH) count++;
    this.#count = store.relaySlots === undefined && options.shared ? 0 : count;
    if (store.relaySlots === undefined && this.#count > 0) {
      this.#held = { replica: relayReplicaId(region, store.epoch) };
      options.metrics.relaySlot.set(0);
    }
  }

  /** The replica the node holds now, or undefined while it holds none. */
  get held(): HeldReplica | undefined {
    return this.#held;
  }

  /** Claims a slot of the store, if it has slots; retried in the background until one is had. */
  start(): Promise<void> {
    if (this.#options.store.relaySlots !== undefined && this.#count > 0) this.#claim();
    return this.#claiming;
  }

  /** Stops claiming, and gives the slot up (after the node's last commit). */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    await this.#claiming;
    if (this.#slot === undefined) return;
    this.#lose();
    await this.#slot.release();
  }

  #id(slot: number): ReplicaId {
    return relayReplicaId(this.#options.region, this.#options.store.epoch, slot);
  }

  #claim(): void {
    this.#claiming = this.#claimNow().catch((err: unknown) => {
      this.#options.logger.error({ err }, 'claiming a node slot failed');
      this.#later();
    });
  }

  async #claimNow(): Promise<void> {
    const slot = await this.#options.store.relaySlots!.claim(this.#count);
    if (slot === undefined) {
      this.#options.logger.warn(
        { slots: this.#count },
        'every node slot of the region is held: this node grants no rights',
      );
      this.#later();
      return;
    }
    if (this.#closed) {
      await slot.release();
      return;
    }
    this.#slot = slot;
    this.#held = {
      replica: this.#id(slot.slot),
      fence: { slot: slot.slot, generation: slot.generation },
    };
    this.#options.metrics.relaySlot.set(slot.slot);
    this.#options.logger.info(
      { slot: slot.slot, replica: this.#held.replica },
      'node slot claimed',
    );
    void slot.lost.then(() => {
      if (this.#slot !== slot || this.#closed) return;
      this.#options.logger.warn(
        { slot: slot.slot },
        'node slot lost: this node grants no rights until it claims one again',
      );
      this.#lose();
      this.#later();
    });
  }

  #lose(): void {
    this.#held = undefined;
    this.#options.metrics.relaySlot.set(-1);
  }

  #later(): void {
    if (this.#closed) return;
    this.#timer = setTimeout(() => this.#claim(), RECLAIM_MS);
    this.#timer.unref();
  }
}
