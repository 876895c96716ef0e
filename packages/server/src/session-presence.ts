import { MAX_PRESENCE_ID_LENGTH, type PresenceSet } from '@helios/core/protocol';
import type { RelayUser } from './auth.js';
import { RelayError } from './errors.js';
import type { SessionPort } from './node-ports.js';
import { TokenBucket } from './rate-limiter.js';

/**
 * One client session's presence (docs/presence.md). A set is taken only for a document the
 * connection is subscribed to (which it may read), within `maxPresenceSetsPerSecond` (a budget
 * of two seconds' worth; one over it is refused `rate-limited`: the client keeps its latest
 * state and sends it with its next refresh). Who the entry is — the socket's id, the region, the
 * user — the relay sets; the message names only the document and the state.
 */
export class SessionPresence {
  readonly #node: SessionPort;
  readonly #socket: string;
  /** The user's id, shown to others; not sent if longer than the wire allows. */
  readonly #user: string | undefined;
  readonly #subscribed: (doc: string) => boolean;
  readonly #budget: TokenBucket;

  constructor(
    node: SessionPort,
    socket: string,
    user: RelayUser,
    subscribed: (doc: string) => boolean,
  ) {
    this.#node = node;
    this.#socket = socket;
    this.#user = user.id.length <= MAX_PRESENCE_ID_LENGTH ? user.id : undefined;
    this.#subscribed = subscribed;
    const rate = node.limits.maxPresenceSetsPerSecond;
    this.#budget = new TokenBucket(rate, rate * 2, node.now);
  }

  /** @throws {RelayError} `forbidden`, `rate-limited` or `too-large`; nothing changes then. */
  set(message: PresenceSet): void {
    if (!this.#subscribed(message.doc)) {
      throw new RelayError('forbidden', `presence on ${message.doc} needs a subscription to it`);
    }
    if (this.#budget.level < 1) {
      throw new RelayError('rate-limited', 'too many presence updates: send the latest later');
    }
    this.#budget.spend(1);
    this.#node.presence.setLocal(message.doc, this.#socket, this.#user, message.state);
  }
}
