import { timingSafeEqual } from 'node:crypto';
import { assertReplicaId, type HandshakeRefusal } from '@helios/core';
import {
  type HelloAuth,
  isRelayReplica,
  type PeerAuth,
  PROTOCOL_VERSION,
  RELAY_REPLICA_PREFIX,
} from '@helios/core/protocol';
import type { Logger } from 'pino';
import {
  type Authenticate,
  type Authorize,
  allowAll,
  anonymousAuthenticate,
  jwtAuthenticate,
  type RelayUser,
} from './auth.js';
import { RelayError } from './errors.js';
import type { RelayMetrics } from './metrics.js';
import type { ConnectionLimits, RelayOptions } from './options.js';
import type { RelaySocket } from './relay-socket.js';
import { refuseRetiredReplica } from './retirement.js';
import { UserLimits } from './user-limits.js';

/** Compares secrets in constant time, so response timing does not leak the peer token. */
function sameSecret(given: unknown, expected: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Who may connect, and what they may do: the handshake (protocol version, then a peer relay's
 * token or a client's credentials and replica ids), the per-user connection limits, and the
 * `authorize` hook. The options are checked when it is made, so a relay that would be open by
 * mistake fails at `createRelay`.
 */
export class Admission {
  readonly #options: RelayOptions;
  readonly #logger: Logger;
  readonly #metrics: RelayMetrics;
  readonly #authenticate: Authenticate;
  readonly #authorize: Authorize;
  readonly #users: UserLimits;
  /** Replica id → owning user, as stored (bindings are permanent, so caching is safe). */
  readonly #replicaOwners = new Map<string, string>();
  #closed = false;
  /** Open client connections that asked for `region-replicated` notices (`regionTrail`). */
  #regionTrails = 0;

  constructor(
    options: RelayOptions,
    limits: ConnectionLimits,
    now: () => number,
    logger: Logger,
    metrics: RelayMetrics,
  ) {
    this.#options = options;
    this.#logger = logger;
    this.#metrics = metrics;
    this.#users = new UserLimits(limits, now);
    this.#authenticate = this.#chooseAuthentication(options);
    // Authenticated users get only the access `authorize` grants, or every access if the operator
    // says so explicitly. Anonymous mode is open by definition (and has warned already).
    const authenticated = options.authenticate !== undefined || options.jwt !== undefined;
    if (options.authorize !== undefined && options.openAccess) {
      throw new Error(
        'pass `authorize` or `openAccess: true`, not both: they contradict each other',
      );
    }
    if (authenticated && options.authorize === undefined && !options.openAccess) {
      throw new Error(
        'the relay needs an `authorize` hook, or else every authenticated user could read and ' +
          'write every document: pass `authorize(user, doc, access)`, or `openAccess: true` ' +
          'to allow exactly that',
      );
    }
    this.#authorize = options.authorize ?? allowAll;
    if (authenticated && options.openAccess) {
      logger.warn(
        'OPEN ACCESS: no authorize hook; every authenticated user may read and write every ' +
          'document (openAccess)',
      );
    } else if (options.authorize === undefined) {
      logger.info(
        'no authorize hook: every connection may read and write every document (anonymous mode)',
      );
    }
  }

  #chooseAuthentication(options: RelayOptions): Authenticate {
    if (options.authenticate) return options.authenticate;
    if (options.jwt) return jwtAuthenticate(options.jwt);
    if (options.anonymous) {
      this.#logger.warn('ANONYMOUS MODE: connections are not authenticated. Development only.');
      return anonymousAuthenticate;
    }
    throw new Error(
      'the relay needs authentication: pass `authenticate`, `jwt`, or `anonymous: true` for development',
    );
  }

  /** Whether `user` may read or write `doc` (the `authorize` hook). */
  /** Whether a client connection on this node asked for `region-replicated` notices. */
  get regionTrailWanted(): boolean {
    return this.#regionTrails > 0;
  }

  authorize(user: RelayUser, doc: string, access: 'read' | 'write'): Promise<boolean> | boolean {
    return this.#authorize(user, doc, access);
  }

  /** From now on every connection is refused: the relay is shutting down. */
  close(): void {
    this.#closed = true;
  }

  /**
   * The Socket.IO middleware: admits the socket, or refuses it with an error whose `data.code`
   * the client reads.
   */
  middleware(socket: RelaySocket, next: (err?: Error) => void): void {
    this.#admit(socket).then(
      () => next(),
      (err: unknown) => {
        // Hooks may throw anything; a failure that is not a refusal (a store down) is not a
        // credentials problem either.
        const refusal: HandshakeRefusal =
          err instanceof RelayError ? err.refusal : { code: 'unavailable' };
        const { code } = refusal;
        if (code === 'unavailable') this.#logger.error({ err }, 'admitting a connection failed');
        const e = new Error(err instanceof Error ? err.message : 'refused') as Error & {
          data: HandshakeRefusal;
        };
        e.data = refusal;
        this.#metrics.refused.inc({ code });
        next(e);
      },
    );
  }

  /**
   * The checks every handshake starts with: the relay is open, and the protocol version is its
   * own. Throws a {@link RelayError} otherwise.
   */
  #admitAny(auth: Partial<HelloAuth & PeerAuth>): void {
    if (this.#closed) throw new RelayError('unavailable', 'the relay is shutting down');
    if (auth.protocol !== PROTOCOL_VERSION) {
      throw new RelayError(
        'protocol-version',
        `this relay speaks protocol ${PROTOCOL_VERSION}, not ${String(auth.protocol)}`,
      );
    }
  }

  /** A peer relay's handshake, once {@link #admitAny} passed: its token. */
  #peerToken(auth: Partial<PeerAuth>): void {
    const expected = this.#options.peerToken;
    if (expected !== undefined && !sameSecret(auth.token, expected)) {
      throw new RelayError('unauthenticated', 'wrong peer token');
    }
    if (expected === undefined && !this.#options.anonymous) {
      throw new RelayError('unauthenticated', 'peering needs a peer token');
    }
  }

  /**
   * Admits a peer relay that connected by another way than Socket.IO (a QUIC link), with the
   * same checks as a Socket.IO peer's handshake: returns the peer's region, or throws a
   * {@link RelayError} (`bad-hello` for a handshake that is no peer's). Counts refusals.
   */
  admitPeer(hello: unknown): string {
    try {
      const auth = (typeof hello === 'object' && hello !== null ? hello : {}) as Partial<PeerAuth>;
      this.#admitAny(auth);
      if (typeof auth.peer !== 'string') throw new RelayError('bad-hello', 'not a peer handshake');
      this.#peerToken(auth);
      return auth.peer;
    } catch (err) {
      this.#metrics.refused.inc({ code: err instanceof RelayError ? err.code : 'unavailable' });
      throw err;
    }
  }

  /** Handshake: protocol version, then either a peer relay or an authenticated client. */
  async #admit(socket: RelaySocket): Promise<void> {
    const auth = (socket.handshake.auth ?? {}) as Partial<HelloAuth & PeerAuth>;
    this.#admitAny(auth);
    if (typeof auth.peer === 'string') {
      this.#peerToken(auth);
      socket.data.admitted = { kind: 'peer', peer: auth.peer };
      return;
    }
    let user: RelayUser;
    try {
      user = await this.#authenticate({
        token: typeof auth.token === 'string' ? auth.token : undefined,
        headers: socket.handshake.headers,
        address: socket.handshake.address,
      });
    } catch (err) {
      // Whatever the hook throws is a refusal of these credentials.
      if (err instanceof RelayError) throw err;
      throw new RelayError('unauthenticated', err instanceof Error ? err.message : 'refused', {
        cause: err,
      });
    }
    const replicas = Array.isArray(auth.replicas) ? auth.replicas : [];
    if (replicas.length > 16)
      throw new RelayError('bad-hello', 'at most 16 replica ids per connection');
    for (const replica of replicas) {
      try {
        assertReplicaId(replica);
      } catch {
        throw new RelayError(
          'bad-hello',
          'replica ids are non-empty strings of up to 64 characters',
        );
      }
      refuseRetiredReplica(replica, this.#options.retiredEpochsBelow?.() ?? 0);
      // A relay's replica spends its region's rights: no client may write as one.
      if (isRelayReplica(replica)) {
        throw new RelayError(
          'bad-hello',
          `replica ids starting ${RELAY_REPLICA_PREFIX} are relays'`,
        );
      }
    }
    // In anonymous mode everyone is the user `anonymous`: each connection counts as its own.
    const limitsOf =
      this.#authenticate === anonymousAuthenticate ? `${user.id}:${socket.id}` : user.id;
    const unclaimed = replicas.filter((r) => !this.#replicaOwners.has(r)).length;
    const slot = this.#users.connect(limitsOf, unclaimed);
    // Also when the connection closes before it is set up (Socket.IO then emits no connection).
    socket.conn.once('close', () => slot.release());
    try {
      for (const replica of replicas) {
        // Bindings never change once made: remember them, so a reconnect costs no durable write.
        let owner = this.#replicaOwners.get(replica);
        if (owner === undefined) {
          owner = await this.#options.store.claimReplica(replica, user.id);
          if (this.#replicaOwners.size >= 100_000) this.#replicaOwners.clear(); // bound the memory
          this.#replicaOwners.set(replica, owner);
        }
        if (owner !== user.id) {
          throw new RelayError('replica-owned', `replica ${replica} belongs to another user`);
        }
      }
    } catch (err) {
      slot.release();
      throw err;
    }
    const regionTrail = auth.regionTrail === true;
    if (regionTrail) {
      this.#regionTrails++;
      socket.conn.once('close', () => this.#regionTrails--);
    }
    socket.data.admitted = { kind: 'client', user, replicas: new Set(replicas), slot, regionTrail };
  }
}
