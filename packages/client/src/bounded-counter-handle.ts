import {
  type BoundedCounter,
  type BoundedCounterState,
  InvalidArgumentError,
  type ReplicaId,
} from '@helios/core';
import { isRelayReplica, relayReplicaRegion } from '@helios/core/protocol';
import { DocumentHandle } from './handles.js';
import type { Receipt } from './receipt.js';

/**
 * How long rights drawn from the relay may lie unused before the handle gives them back (ms):
 * long enough to cover a burst of purchases and a short time offline, short enough that stock
 * held in an idle tab goes back to the region.
 */
export const LEASE_IDLE_MS = 30_000;

/** Draws one {@link BoundedCounterHandle.take} makes at most (within the relay's rate budget). */
const MAX_DRAWS_PER_TAKE = 4;

/**
 * Bounded counter (stock, seats, quotas): its value never goes below the type's bound. This
 * client's replica decrements, or gives away, only the rights it holds ({@link localRights}):
 * what it added, what others gave it, and what it drew from its region's relay, which holds the
 * region's rights ({@link draw}, {@link take}; docs/architecture.md §5.2). Rights drawn and not
 * spent are a *lease*: they stay usable offline, and go back to the relay after
 * {@link leaseIdleMs} ({@link LEASE_IDLE_MS} by default) without a draw or a decrement, or on
 * {@link release}. A lease a closed tab still held stays with its replica slot, which the
 * profile's next tab takes over.
 */
export class BoundedCounterHandle extends DocumentHandle<BoundedCounterState['store'], number> {
  /** How long drawn rights may lie unused before they go back to the relay (ms). */
  leaseIdleMs: number = LEASE_IDLE_MS;
  #idle: ReturnType<typeof setTimeout> | undefined;
  /**
   * The relay replica of the last grant this handle got: a live relay node's, where rights given
   * to the region go (the region's richest replica may be a node slot no node holds now).
   */
  #granter: ReplicaId | undefined;

  /** What this client may decrement or give away now, offline included (0 until ready). */
  get localRights(): number {
    return this.read((state, replica) =>
      replica === undefined ? 0 : this.#type.localRights(state, replica),
    );
  }

  /**
   * What may be spent here now: this client's rights and those of its region's relay, as this
   * replica has seen them (the relay's may have moved since). The value is what exists globally.
   */
  get available(): number {
    return this.localRights + this.read((state) => this.#relayRights(state));
  }

  increment(by = 1): Receipt {
    return this.mutate((s, a) => this.#type.increment(s, a, by));
  }

  /**
   * Subtracts `by` (default 1). Beyond {@link localRights} it applies nothing and the receipt
   * has failed at once: `receipt.error` is an `InsufficientRightsError` (code
   * `insufficient-rights`) and `wait()` rejects with it. (Before the document has loaded, the
   * write waits for it, and fails then.)
   */
  decrement(by = 1): Receipt {
    const receipt = this.mutate((s, a) => this.#type.decrement(s, a, by));
    if (receipt.error === undefined) this.#spent();
    return receipt;
  }

  /** Gives `amount` of this client's rights to replica `to`; fails as {@link decrement} does. */
  transfer(to: ReplicaId, amount: number): Receipt {
    const receipt = this.mutate((s, a) => this.#type.transfer(s, a, to, amount));
    if (receipt.error === undefined) this.#spent();
    return receipt;
  }

  /**
   * Asks the relay for `amount` rights (it grants at most its per-request cap, 10 by default):
   * resolves with the rights granted, once its transfer is merged here. Fails with
   * `insufficient-rights` when neither the relay nor a peer region it reaches holds any, with
   * `closed` offline, and with the relay's code when it refuses (`rate-limited`, `forbidden`).
   */
  async draw(amount: number): Promise<number> {
    if (!Number.isSafeInteger(amount) || amount < 1) {
      throw new InvalidArgumentError(`rights are drawn in positive integers, not ${amount}`);
    }
    const { granted, from } = await this.writer.rights.draw(this.id, amount);
    this.#granter = from;
    this.#touch();
    return granted;
  }

  /**
   * Gives `amount` of this client's rights to its region's relay, which hands them out to the
   * region's clients and peer regions (how stock reaches a region: its owner increments, then
   * deposits): to the relay node it is connected to (asked for its replica), or offline to the
   * last one that granted it rights, else the region's relay replica holding the most. Fails as
   * {@link decrement} does, and with `closed` when no relay of the region is known.
   */
  async deposit(amount: number): Promise<Receipt> {
    const asked = await this.writer.rights.draw(this.id, 0).then(
      ({ from }) => (this.#granter = from),
      (err: unknown) => {
        const known = this.#relay();
        if (known === undefined) throw err;
        return known;
      },
    );
    return this.transfer(asked, amount);
  }

  /**
   * Decrements `by`, drawing from the relay first what {@link localRights} lack, plus `lease`
   * more to spend later, offline included (a few draws at most, as the relay gathers them from
   * peer regions). The receipt fails with `insufficient-rights` when the rights cannot be had;
   * offline, it spends only what this client holds.
   */
  async take(by = 1, lease = 0): Promise<Receipt> {
    // A relay grants what it holds, and a peer region gives it half of its own: the last units
    // of a counter may take a few draws.
    for (let draws = 0; draws < MAX_DRAWS_PER_TAKE && this.localRights < by; draws++) {
      try {
        await this.draw(by - this.localRights + lease);
      } catch {
        break; // none to be had (insufficient-rights), offline, or refused: decrement says which
      }
    }
    return this.decrement(by);
  }

  /**
   * Gives the rights drawn and not spent back to the region's relay (nothing if there are none,
   * or no relay of the region is known); returns the receipt of that transfer, if any.
   */
  release(): Receipt | undefined {
    clearTimeout(this.#idle);
    this.#idle = undefined;
    const amount = this.leased;
    const relay = this.#relay();
    if (amount <= 0 || relay === undefined) return undefined;
    return this.transfer(relay, amount);
  }

  /**
   * The lease: rights this client drew from relays and has not given back, as far as it has not
   * spent them (its own increments are spent last). Read from the state, so it counts grants
   * whose answer was lost and survives a reload.
   */
  get leased(): number {
    return this.read((state, replica) => {
      if (replica === undefined) return 0;
      let drawn = 0;
      for (const [owner, account] of this.#type.accounts(state)) {
        if (isRelayReplica(owner)) drawn += account.given.get(replica) ?? 0;
        if (owner !== replica) continue;
        for (const [to, amount] of account.given) if (isRelayReplica(to)) drawn -= amount;
      }
      return Math.max(0, Math.min(drawn, this.#type.localRights(state, replica)));
    });
  }

  get #type(): typeof BoundedCounter {
    return this.type as typeof BoundedCounter;
  }

  #spent(): void {
    if (this.leased > 0) this.#touch();
  }

  /** Starts the lease's idle time again. */
  #touch(): void {
    clearTimeout(this.#idle);
    this.#idle = setTimeout(() => this.release(), this.leaseIdleMs);
    // A lease timer does not keep a Node process alive.
    (this.#idle as { unref?: () => void }).unref?.();
  }

  /** The rights of each relay replica of this client's region that a state names. */
  #relaysOfRegion(state: BoundedCounterState): Map<ReplicaId, number> {
    const region = this.writer.rights.region;
    const relays = new Map<ReplicaId, number>();
    if (region === null) return relays;
    for (const [replica, rights] of this.#type.rightsByReplica(state)) {
      if (relayReplicaRegion(replica) === region) relays.set(replica, rights);
    }
    return relays;
  }

  #relayRights(state: BoundedCounterState): number {
    let rights = 0;
    for (const held of this.#relaysOfRegion(state).values()) rights += Math.max(0, held);
    return rights;
  }

  /**
   * Where rights given to the region go: the relay node that last granted this handle rights,
   * if it is of the client's region now, else {@link #relayOf}.
   */
  #relay(): ReplicaId | undefined {
    const region = this.writer.rights.region;
    const granter = this.#granter;
    if (granter !== undefined && relayReplicaRegion(granter) === region) return granter;
    return this.read((state) => this.#relayOf(state));
  }

  /** The region's relay replica holding the most rights (the current one, after a new store). */
  #relayOf(state: BoundedCounterState): ReplicaId | undefined {
    let best: ReplicaId | undefined;
    let most = -1;
    for (const [relay, rights] of this.#relaysOfRegion(state)) {
      if (rights > most) [best, most] = [relay, rights];
    }
    return best;
  }
}
