import {
  type ClockedActor,
  epochOf,
  HybridLogicalClock,
  isRetiredBy,
  newEpochReplicaId,
  newReplicaId,
  type ReplicaId,
} from '@helios/core';
import type { Clock } from './clock.js';
import type { ClientPersistence } from './persistence/persistence.js';
import { acquireReplicaSlot, type ReplicaSlot } from './replica-slot.js';

/** Replica ids a relay accepts in one handshake. */
const MAX_HANDSHAKE_REPLICAS = 16;

/** The meta key of the retired epochs the last relay named: their ids are not announced. */
const RETIRED_BELOW = 'retiredEpochsBelow';

/**
 * Who this client writes as: its replica slot, the hybrid logical clock that stamps its writes,
 * and the replica ids it announces to relays (its own first, then the profile's other slots).
 */
export class ReplicaIdentity {
  #slot: ReplicaSlot;
  #hlc: HybridLogicalClock;
  #replicas: readonly ReplicaId[];
  readonly #clock: Clock;
  readonly #persistence: ClientPersistence;

  private constructor(
    slot: ReplicaSlot,
    hlc: HybridLogicalClock,
    replicas: ReplicaId[],
    clock: Clock,
    persistence: ClientPersistence,
  ) {
    this.#slot = slot;
    this.#hlc = hlc;
    this.#replicas = replicas.slice(0, MAX_HANDSHAKE_REPLICAS);
    this.#clock = clock;
    this.#persistence = persistence;
  }

  /**
   * Takes a free replica slot of the profile and restores the clock offset learned earlier.
   * `persistence` may still be opening. `onLocked` is told once the slot's lock is held and
   * storage is open: from then on documents may be read (see `acquireReplicaSlot`).
   */
  static async acquire(
    dbName: string,
    persistence: ClientPersistence | Promise<ClientPersistence>,
    maxSlots: number,
    clock: Clock,
    onLocked?: (persistence: ClientPersistence) => void,
  ): Promise<ReplicaIdentity> {
    let reads: Promise<[string[], unknown, unknown]> | undefined;
    const slot = await acquireReplicaSlot(
      dbName,
      persistence,
      () => newReplicaId(),
      maxSlots,
      clock,
      (opened) => {
        onLocked?.(opened);
        // Asked for together with the slot's id, not one after the other once it came: a
        // document's first read, decoded meanwhile, holds the thread, and each read queued
        // behind it would add a round trip to storage before the document counts as loaded.
        reads = Promise.all([
          // The outbox is shared by the profile's tabs, and a tab that crashed leaves its
          // writes in it: the relay must let us push them, so we announce every slot's id.
          opened.slotIds().catch(() => []),
          opened.getMeta('clockOffsetMs').catch(() => undefined),
          // Ids of retired epochs would have the whole handshake refused (`replica-retired`).
          opened.getMeta(RETIRED_BELOW).catch(() => undefined),
        ]);
      },
    );
    const [slotIds, offset, retired] = await (reads as NonNullable<typeof reads>);
    const retiredBelow = typeof retired === 'number' ? retired : 0;
    const hlc = new HybridLogicalClock({
      replica: slot.replica,
      now: () => clock.now(),
      ...(typeof offset === 'number' ? { offsetMs: offset } : {}),
    });
    const others = slotIds.filter((id) => id !== slot.replica && !isRetiredBy(id, retiredBelow));
    return new ReplicaIdentity(slot, hlc, [slot.replica, ...others], clock, await persistence);
  }

  /** The replica id this client writes as. */
  get replica(): ReplicaId {
    return this.#slot.replica;
  }

  /** The index of the profile's replica slot this client holds. */
  get slot(): number {
    return this.#slot.index;
  }

  /** The replica ids to announce in a handshake. */
  get replicas(): readonly ReplicaId[] {
    return this.#replicas;
  }

  /** The actor a mutation mints its dot and timestamps as. */
  actor(): ClockedActor {
    const hlc = this.#hlc;
    return { replica: this.#slot.replica, now: () => hlc.now() };
  }

  /** Corrects the clock by what a relay's handshake told (its time minus ours). */
  setOffset(offsetMs: number): void {
    this.#hlc.setOffset(offsetMs);
  }

  /**
   * Documents opened after a fallback to memory start empty: their history, with the dots
   * this replica already minted in them, is in IndexedDB, out of reach. Minting on under the
   * same id would reuse those dots, so from now on this client writes as a fresh replica
   * (`replica`, a compact id unless given). The old id stays announced to relays for the writes
   * still in the outbox.
   */
  renew(replica: ReplicaId = newReplicaId()): void {
    const hlc = new HybridLogicalClock({
      replica,
      now: () => this.#clock.now(),
      offsetMs: this.#hlc.offsetMs,
    });
    try {
      hlc.receive(this.#hlc.now()); // later LWW writes must still beat earlier ones
    } catch {
      // the old clock cannot be ahead of ours beyond the drift bound; nothing to carry over
    }
    const slot = this.#slot;
    this.#slot = { index: slot.index, replica, release: slot.release };
    this.#hlc = hlc;
    this.#replicas = [replica, ...this.#replicas].slice(0, MAX_HANDSHAKE_REPLICAS);
  }

  /**
   * A relay named the deployment's replica epochs (`replica-epoch`, docs/compaction.md): ids of
   * retired epochs are no longer announced, and a slot id of an older epoch than `epoch` (or
   * without one) is renewed to an id of `epoch`, persisted first. `renewed` is called in the
   * same step as the switch, before any write can mint under the new id: the relay binds ids at
   * the handshake, so the caller reconnects there. Resolves whether the id was renewed.
   */
  async adoptEpochs(epoch: number, retiredBelow: number, renewed: () => void): Promise<boolean> {
    const persistence = this.#persistence;
    await persistence.setMeta(RETIRED_BELOW, retiredBelow).catch(() => {});
    const own = epochOf(this.replica);
    const stale = (own === undefined || own < epoch) && persistence.renewSlot !== undefined;
    const replica = newEpochReplicaId(epoch);
    if (stale) await persistence.renewSlot?.(this.#slot.index, replica);
    // The own id stays unless it is being replaced: a connection must announce what it writes as.
    const current = this.replica;
    this.#replicas = this.#replicas.filter(
      (id) => !isRetiredBy(id, retiredBelow) || (id === current && !stale),
    );
    if (!stale || epochOf(this.replica) === epoch) return false; // renewed meanwhile
    this.renew(replica);
    renewed();
    return true;
  }

  /**
   * A relay refused the handshake as `replica-retired`: an announced id is of an epoch below
   * `retiredBelow`. Exactly those ids are dropped (writes of theirs still in the outbox can no
   * longer be pushed: they are refused, as writes of a retired replica are anyway), and the
   * bound is kept for the next start; if the own id is one, the slot moves to epoch
   * `retiredBelow`, persisted first. A relay from before `retiredBelow` names no bound: then the
   * ids other than the own one are dropped first, and if the own id alone is refused, the slot
   * moves to the next epoch. The next dial announces what is left.
   */
  async retired(retiredBelow?: number): Promise<void> {
    if (retiredBelow !== undefined) {
      await this.#persistence.setMeta(RETIRED_BELOW, retiredBelow).catch(() => {});
      const own = this.replica;
      const former = this.#replicas.filter((id) => id !== own && !isRetiredBy(id, retiredBelow));
      if (isRetiredBy(own, retiredBelow)) await this.#moveTo(retiredBelow, former);
      else this.#replicas = [own, ...former];
      return;
    }
    if (this.#replicas.length > 1) {
      this.#replicas = [this.replica];
      return;
    }
    await this.#moveTo((epochOf(this.replica) ?? -1) + 1, []);
  }

  /**
   * A document starts empty though storage may hold its dots of this slot's id (its load
   * failed): writes under that id could mint those dots again, with other content. The slot
   * moves to a new id of the same epoch, persisted first; the old one stays announced, for the
   * outbox's writes.
   */
  async renewAfterLoss(): Promise<void> {
    const epoch = epochOf(this.replica);
    const replica = epoch === undefined ? newReplicaId() : newEpochReplicaId(epoch);
    await this.#persistence.renewSlot?.(this.#slot.index, replica);
    this.renew(replica);
  }

  /** Renews the slot, persisted first, to an id of `epoch`; announces it and `former`. */
  async #moveTo(epoch: number, former: readonly ReplicaId[]): Promise<void> {
    const replica = newEpochReplicaId(epoch);
    await this.#persistence.renewSlot?.(this.#slot.index, replica);
    this.renew(replica);
    this.#replicas = [replica, ...former];
  }

  release(): void {
    this.#slot.release();
  }
}
