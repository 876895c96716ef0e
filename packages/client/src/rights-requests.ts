import { InsufficientRightsError, type ReplicaId } from '@helios/core';
import type { ErrorEvent, Message, RightsGrant } from '@helios/core/protocol';
import type { Observable } from 'rxjs';
import { ClientError, RefusedWriteError } from './client-error.js';
import type { Clock, TimerHandle } from './clock.js';
import type { ClientStatus } from './status.js';

/**
 * How long a request waits for the relay's answer (ms): a relay waits up to 2 s for a peer
 * region's rights, and one of an older version never answers (it refuses the frame as unknown).
 */
export const RIGHTS_ANSWER_TIMEOUT_MS = 10_000;

/** What a client's rights requests need: the connection, and the merge path of relay deltas. */
export interface RightsRequestsOptions {
  readonly clock: Clock;
  /** The client: the replica rights are asked for, and its connection's status. */
  readonly client: {
    readonly replica: ReplicaId | undefined;
    readonly status: Pick<ClientStatus, 'region'>;
    readonly status$: Observable<Pick<ClientStatus, 'connection'>>;
  };
  /** Sends if connected; whether it was sent. */
  send(message: Message): boolean;
  /** Merges a transfer the relay committed, as a relay's `delta` of `doc`. */
  merge(doc: string, delta: Uint8Array): void;
}

/** What a relay granted, and the relay's replica that gave it. */
export interface Drawn {
  readonly granted: number;
  readonly from: ReplicaId;
}

interface Pending {
  readonly doc: string;
  readonly amount: number;
  readonly timer: TimerHandle;
  resolve(drawn: Drawn): void;
  reject(err: Error): void;
}

/** What a handle sees of its client's rights requests. */
export interface ClientRights {
  /** The region of the relay the client is connected to, or was last (null before any). */
  readonly region: string | null;
  /**
   * Asks the relay for up to `amount` rights of bounded counter `doc` for the client's replica
   * (0: only the relay's replica id).
   */
  draw(doc: string, amount: number): Promise<Drawn>;
}

/**
 * A client's requests to its relay for bounded-counter rights (docs/protocol.md §2.5): each
 * resolves once the relay's transfer is merged here, with the rights it granted; it fails with
 * `insufficient-rights` when the relay granted none (neither it nor a reachable peer region holds
 * any), with the relay's code when it refused the request, and with `closed` when the connection
 * ended first or no answer came within {@link RIGHTS_ANSWER_TIMEOUT_MS}.
 */
export class RightsRequests implements ClientRights {
  readonly #options: RightsRequestsOptions;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;

  constructor(options: RightsRequestsOptions) {
    this.#options = options;
    // Ends with the client (its status completes on close).
    options.client.status$.subscribe(({ connection }) => {
      if (connection !== 'online') this.#disconnected();
    });
  }

  get region(): string | null {
    return this.#options.client.status.region;
  }

  draw(doc: string, amount: number): Promise<Drawn> {
    const id = this.#nextId++;
    return new Promise<Drawn>((resolve, reject) => {
      const to = this.#options.client.replica;
      if (to === undefined) {
        reject(new ClientError('closed', 'the client is not ready yet'));
        return;
      }
      const sent = this.#options.send({ kind: 'rights-request', id, doc, to, amount });
      if (!sent) {
        reject(new ClientError('closed', 'offline: rights are drawn from a relay'));
        return;
      }
      const timer = this.#options.clock.setTimeout(() => {
        this.#pending.delete(id);
        reject(new ClientError('closed', 'the relay did not answer the rights request in time'));
      }, RIGHTS_ANSWER_TIMEOUT_MS);
      this.#pending.set(id, { doc, amount, timer, resolve, reject });
    });
  }

  /** The relay's answer: its transfer is merged, then the request resolves. */
  granted(grant: RightsGrant): void {
    const pending = this.#pending.get(grant.id);
    if (pending === undefined || pending.doc !== grant.doc) return;
    this.#pending.delete(grant.id);
    this.#options.clock.clearTimeout(pending.timer);
    if (pending.amount > 0 && (grant.granted === 0 || grant.delta === undefined)) {
      pending.reject(new InsufficientRightsError(pending.amount, 0));
      return;
    }
    if (grant.delta !== undefined) this.#options.merge(grant.doc, grant.delta);
    pending.resolve({ granted: grant.granted, from: grant.from });
  }

  /** The relay refused something about a document (not a push): its requests fail with it. */
  refused({ doc, push, code, message }: ErrorEvent): void {
    if (doc === undefined || push !== undefined) return;
    for (const [id, pending] of this.#pending) {
      if (pending.doc !== doc) continue;
      this.#pending.delete(id);
      this.#options.clock.clearTimeout(pending.timer);
      pending.reject(new RefusedWriteError(code, doc, message));
    }
  }

  /** The connection ended: no answer will come on it. */
  #disconnected(): void {
    for (const pending of this.#pending.values()) {
      this.#options.clock.clearTimeout(pending.timer);
      pending.reject(new ClientError('closed', 'the connection ended before the relay answered'));
    }
    this.#pending.clear();
  }
}
