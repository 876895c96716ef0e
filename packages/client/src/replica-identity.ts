import { type ClockedActor, HybridLogicalClock, newReplicaId, type ReplicaId } from '@helios/core';
import type { Clock } from './clock.js';
import type { ClientPersistence } from './persistence/persistence.js';
import { acquireReplicaSlot, type ReplicaSlot } from './replica-slot.js';

/** Replica ids a relay accepts in one handshake. */
const MAX_HANDSHAKE_REPLICAS = 16;

/**
 * Who this client writes as: its replica slot, the hybrid logical clock that stamps its writes,
 * and the replica ids it announces to relays (its own first, then the profile's other slots).
 */
export class ReplicaIdentity {
  #slot: ReplicaSlot;
  #hlc: HybridLogicalClock;
  #replicas: readonly ReplicaId[];
  readonly #clock: Clock;

  private constructor(
    slot: ReplicaSlot,
    hlc: HybridLogicalClock,
    replicas: ReplicaId[],
    clock: Clock,
  ) {
    this.#slot = slot;
    this.#hlc = hlc;
    this.#replicas = replicas.slice(0, MAX_HANDSHAKE_REPLICAS);
    this.#clock = clock;
  }

  /** Takes a free replica slot of the profile and restores the clock offset learned earlier. */
  static async acquire(
    dbName: string,
    persistence: ClientPersistence,
    maxSlots: number,
    clock: Clock,
  ): Promise<ReplicaIdentity> {
    const slot = await acquireReplicaSlot(
      dbName,
      persistence,
      () => newReplicaId(),
      maxSlots,
      clock,
    );
    // The outbox is shared by the profile's tabs, and a tab that crashed leaves its writes in
    // it: the relay must let us push them, so we announce every slot's id, not only ours.
    const slotIds = await persistence.slotIds().catch(() => []);
    const offset = await persistence.getMeta('clockOffsetMs').catch(() => undefined);
    const hlc = new HybridLogicalClock({
      replica: slot.replica,
      now: () => clock.now(),
      ...(typeof offset === 'number' ? { offsetMs: offset } : {}),
    });
    const others = slotIds.filter((id) => id !== slot.replica);
    return new ReplicaIdentity(slot, hlc, [slot.replica, ...others], clock);
  }

  /** The replica id this client writes as. */
  get replica(): ReplicaId {
    return this.#slot.replica;
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
   * same id would reuse those dots, so from now on this client writes as a fresh replica. The
   * old id stays announced to relays for the writes still in the outbox.
   */
  renew(): void {
    const replica = newReplicaId();
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

  release(): void {
    this.#slot.release();
  }
}
