import { Budget } from './budget.js';
import { RelayError } from './errors.js';
import type { ConnectionLimits } from './options.js';
import { TokenBucket } from './rate-limiter.js';

/** A connection's share of its user's limits, from the handshake until it closes. */
export interface UserSlot {
  /** The user's budget, shared by all of its connections on this node. */
  readonly budget: Budget;
  /** Gives the connection slot back (once; later calls do nothing). */
  release(): void;
}

interface UserState {
  connections: number;
  readonly budget: Budget;
  /** New replica ids this user may still claim. */
  readonly claims: TokenBucket;
  evictTimer: ReturnType<typeof setTimeout> | undefined;
}

/**
 * What each user (`RelayUser.id`) may hold and spend on one relay node, over all of its
 * connections: at most `maxConnectionsPerUser` open connections, at most
 * `maxReplicaClaimsPerMinute` new replica ids, and one budget of frames, bytes and entries
 * (`maxUser…PerSecond`). A user's state outlives its last connection until its budget is full
 * again, so reconnecting does not reset what a flood has spent.
 */
export class UserLimits {
  readonly #limits: ConnectionLimits;
  readonly #now: () => number;
  readonly #users = new Map<string, UserState>();

  constructor(limits: ConnectionLimits, now: () => number) {
    this.#limits = limits;
    this.#now = now;
  }

  /** Users known now (connected, or disconnected with a budget still refilling). */
  get size(): number {
    return this.#users.size;
  }

  /**
   * Admits one more connection of `user` that claims `newReplicas` replica ids this node has
   * not seen bound yet. Throws `too-many-connections` or `too-many-replicas`, taking nothing.
   */
  connect(user: string, newReplicas: number): UserSlot {
    const state = this.#users.get(user) ?? this.#create(user);
    const limits = this.#limits;
    try {
      if (state.connections >= limits.maxConnectionsPerUser) {
        throw new RelayError(
          'too-many-connections',
          `at most ${limits.maxConnectionsPerUser} connections per user on one relay node`,
        );
      }
      if (newReplicas > 0) {
        if (state.claims.level < newReplicas) {
          throw new RelayError(
            'too-many-replicas',
            `at most ${limits.maxReplicaClaimsPerMinute} new replica ids per user per minute`,
          );
        }
        state.claims.spend(newReplicas);
      }
    } catch (err) {
      this.#evictWhenIdle(user, state);
      throw err;
    }
    state.connections++;
    clearTimeout(state.evictTimer);
    state.evictTimer = undefined;
    let released = false;
    return {
      budget: state.budget,
      release: () => {
        if (released) return;
        released = true;
        state.connections--;
        this.#evictWhenIdle(user, state);
      },
    };
  }

  #create(user: string): UserState {
    const limits = this.#limits;
    const perMinute = limits.maxReplicaClaimsPerMinute;
    const state: UserState = {
      connections: 0,
      budget: new Budget(
        {
          framesPerSecond: limits.maxUserMessagesPerSecond,
          bytesPerSecond: limits.maxUserBytesPerSecond,
          entriesPerSecond: limits.maxUserDeltasPerSecond,
        },
        this.#now,
      ),
      // A bucket of a minute's claims, refilled over the minute.
      claims: new TokenBucket(perMinute / 60, perMinute, this.#now),
      evictTimer: undefined,
    };
    this.#users.set(user, state);
    return state;
  }

  /** Forgets a user without connections once its budget and claims have refilled. */
  #evictWhenIdle(user: string, state: UserState): void {
    if (state.connections > 0 || state.evictTimer !== undefined) return;
    const wait = Math.max(
      state.claims.msUntil(Number.POSITIVE_INFINITY),
      state.budget.msUntilFull(),
    );
    if (wait === 0) {
      this.#users.delete(user);
      return;
    }
    state.evictTimer = setTimeout(() => {
      state.evictTimer = undefined;
      this.#evictWhenIdle(user, state);
    }, wait);
    state.evictTimer.unref();
  }
}
