import { MAX_PRESENCE_ID_LENGTH, type PresenceSet } from '@helios/core/protocol';
import type { RelayUser } from './auth.js';
import { RelayError } from './errors.js';
import type { SessionPort } from './node-ports.js';
import { TokenBucket } from './rate-limiter.js';

/**
 * Documents one connection may show a state on at once: a page shows presence on a handful, and
 * without a cap a patient connection could hold one entry per subscription (10,000).
 */
export const MAX_PRESENCE_DOCUMENTS = 32;

/**
 * One client session's presence (docs/presence.md). A set is taken only for a document the
 * connection is subscribed to (which it may read), within `maxPresenceSetsPerSecond` (a budget
 * of two seconds' worth; one over it is refused `rate-limited`: the client keeps its latest
 * state and sends it with its next refresh). Who the entry is — the socket's id, the region, the
 * user — the relay sets; the message names only the document and the state. A connection shows
 * a state on at most {@link MAX_PRESENCE_DOCUMENTS} documents at once (`too-large` past it).
 */
export class SessionPresence {
  readonly #node: SessionPort;
  readonly #socket: string;
  /** The user's id, shown to others; not sent if longer than the wire allows. */
  readonly #user: string | undefined;
  readonly #subscribed: (doc: string) => boolean;
  readonly #budget: TokenBucket;
  /** Documents it set a state on and has not cleared (some may have been left since). */
  readonly #shown = new Set<string>();

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
    const doc = message.doc;
    if (message.state !== undefined && !this.#shown.has(doc)) this.#roomFor(doc);
    this.#node.presence.setLocal(doc, this.#socket, this.#user, message.state);
    if (message.state === undefined) this.#shown.delete(doc);
    else this.#shown.add(doc);
  }

  /** @throws {RelayError} `too-large` if the connection shows a state on too many documents. */
  #roomFor(doc: string): void {
    if (this.#shown.size < MAX_PRESENCE_DOCUMENTS) return;
    // Documents left since (their entries went with the subscription) no longer count.
    for (const shown of [...this.#shown]) if (!this.#subscribed(shown)) this.#shown.delete(shown);
    if (this.#shown.size >= MAX_PRESENCE_DOCUMENTS) {
      throw new RelayError(
        'too-large',
        `presence on at most ${MAX_PRESENCE_DOCUMENTS} documents per connection: clear one before ${doc}`,
      );
    }
  }
}
