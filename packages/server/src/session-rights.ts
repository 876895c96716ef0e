import type { ReplicaId } from '@helios/core';
import type { Message, RightsRequest } from '@helios/core/protocol';
import type { RelayUser } from './auth.js';
import { RelayError } from './errors.js';
import type { SessionPort } from './node-ports.js';
import { TokenBucket } from './rate-limiter.js';
import type { SessionRefusals } from './session-refusals.js';

/** Rights requests of one connection being answered at once; more are refused `rate-limited`. */
const MAX_IN_FLIGHT = 4;

/**
 * One client session's requests for bounded-counter rights (docs/protocol.md §2.5). Each is
 * answered apart from the session's queue of pushes and subscriptions (it may wait for a peer
 * region's transfer), within a budget of its own: `maxRightsRequestsPerSecond`, at most
 * {@link MAX_IN_FLIGHT} at once, and never more than the relay's per-request grant. A request
 * over budget, for a replica the connection is not bound to, or for a document the user may not
 * write is refused with an `error` naming the document.
 */
export class SessionRights {
  readonly #node: SessionPort;
  readonly #user: RelayUser;
  readonly #replicas: ReadonlySet<ReplicaId>;
  readonly #send: (message: Message) => void;
  readonly #refusals: SessionRefusals;
  readonly #budget: TokenBucket;
  #inFlight = 0;

  constructor(
    node: SessionPort,
    user: RelayUser,
    replicas: ReadonlySet<ReplicaId>,
    send: (message: Message) => void,
    refusals: SessionRefusals,
  ) {
    this.#node = node;
    this.#user = user;
    this.#replicas = replicas;
    this.#send = send;
    this.#refusals = refusals;
    const rate = node.limits.maxRightsRequestsPerSecond;
    this.#budget = new TokenBucket(rate, rate * 2, node.now);
  }

  request(request: RightsRequest): void {
    void this.#answer(request).catch((err: unknown) => {
      this.#refusals.refuseError(err, { doc: request.doc });
    });
  }

  async #answer(request: RightsRequest): Promise<void> {
    if (this.#inFlight >= MAX_IN_FLIGHT || this.#budget.level < 1) {
      throw new RelayError('rate-limited', 'too many rights requests: wait for the grants');
    }
    this.#budget.spend(1);
    if (!this.#replicas.has(request.to)) {
      throw new RelayError('forbidden', `replica ${request.to} is not this connection's`);
    }
    this.#inFlight++;
    try {
      if (!(await this.#node.authorize(this.#user, request.doc, 'write'))) {
        throw new RelayError('forbidden', `no write access to ${request.doc}`);
      }
      const grant = await this.#node.rights(request.doc, request.to, request.amount);
      this.#send({ kind: 'rights-grant', id: request.id, doc: request.doc, ...grant });
    } finally {
      this.#inFlight--;
    }
  }
}
