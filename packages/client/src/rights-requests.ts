import { InsufficientRightsError, type ReplicaId } from '@helios/core';
import type { Message, RightsGrant } from '@helios/core/protocol';
import { ClientError, RefusedWriteError } from './client-error.js';

/** What a client's rights requests need: the connection, and the merge path of relay deltas. */
export interface RightsRequestsOptions {
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
  resolve(drawn: Drawn): void;
  reject(err: Error): void;
}

/**
 * A client's requests to its relay for bounded-counter rights (docs/protocol.md §2.5): each
 * resolves once the relay's transfer is merged here, with the rights it granted; it fails with
 * `insufficient-rights` when the relay granted none (neither it nor a reachable peer region holds
 * any), with the relay's code when it refused the request, and with `closed` when the connection
 * ended first.
 */
export class RightsRequests {
  readonly #options: RightsRequestsOptions;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;

  constructor(options: RightsRequestsOptions) {
    this.#options = options;
  }

  /** Asks for `amount` rights of `doc` for replica `to` (0: only the relay's replica id). */
  draw(doc: string, to: ReplicaId, amount: number): Promise<Drawn> {
    const id = this.#nextId++;
    return new Promise<Drawn>((resolve, reject) => {
      const sent = this.#options.send({ kind: 'rights-request', id, doc, to, amount });
      if (!sent) {
        reject(new ClientError('closed', 'offline: rights are drawn from a relay'));
        return;
      }
      this.#pending.set(id, { doc, amount, resolve, reject });
    });
  }

  /** The relay's answer: its transfer is merged, then the request resolves. */
  granted(grant: RightsGrant): void {
    const pending = this.#pending.get(grant.id);
    if (pending === undefined || pending.doc !== grant.doc) return;
    this.#pending.delete(grant.id);
    if (pending.amount > 0 && (grant.granted === 0 || grant.delta === undefined)) {
      pending.reject(new InsufficientRightsError(pending.amount, 0));
      return;
    }
    if (grant.delta !== undefined) this.#options.merge(grant.doc, grant.delta);
    pending.resolve({ granted: grant.granted, from: grant.from });
  }

  /** The relay refused something about `doc` (not a push): its rights requests fail with it. */
  refused(doc: string, code: string, message: string): void {
    for (const [id, pending] of this.#pending) {
      if (pending.doc !== doc) continue;
      this.#pending.delete(id);
      pending.reject(new RefusedWriteError(code, doc, message));
    }
  }

  /** The connection ended: no answer will come on it. */
  disconnected(): void {
    for (const pending of this.#pending.values()) {
      pending.reject(new ClientError('closed', 'the connection ended before the relay answered'));
    }
    this.#pending.clear();
  }
}
