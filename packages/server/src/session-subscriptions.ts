import { decodeState, ValidationError } from '@helios/core';
import type { Message, Subscribe } from '@helios/core/protocol';
import type { RelayUser } from './auth.js';
import { RelayError } from './errors.js';
import type { SessionPort } from './node-ports.js';
import type { RelaySocket } from './relay-socket.js';
import { roomOf } from './wire.js';

/**
 * The documents one client session is subscribed to: a subscription joins the document's room
 * (where its deltas are fanned out) and answers with what the client's digest lacks.
 */
export class SessionSubscriptions {
  readonly #node: SessionPort;
  readonly #socket: RelaySocket;
  readonly #user: RelayUser;
  readonly #send: (message: Message) => void;
  readonly #subscribed = new Set<string>();

  constructor(
    node: SessionPort,
    socket: RelaySocket,
    user: RelayUser,
    send: (message: Message) => void,
  ) {
    this.#node = node;
    this.#socket = socket;
    this.#user = user;
    this.#send = send;
  }

  async subscribe(sub: Subscribe['docs'][number]): Promise<void> {
    const node = this.#node;
    if (!this.#subscribed.has(sub.doc) && this.#subscribed.size >= node.limits.maxSubscriptions) {
      throw new RelayError('too-large', `at most ${node.limits.maxSubscriptions} subscriptions`);
    }
    if (!(await node.authorize(this.#user, sub.doc, 'read'))) {
      throw new RelayError('forbidden', `no read access to ${sub.doc}`);
    }
    const { type } = decodeState(sub.type, node.decodeLimits);
    const doc = await node.documentFor(sub.doc, type);
    if (doc.type !== type) {
      throw new ValidationError(
        'type-mismatch',
        `${sub.doc} is a ${doc.type.name}, not a ${type.name}`,
      );
    }
    if (!this.#subscribed.has(sub.doc)) {
      this.#subscribed.add(sub.doc);
      doc.subscribers++;
      // Join before reading: a delta committed meanwhile then arrives twice, never zero times.
      await this.#socket.join(roomOf(sub.doc));
    }
    await node.refresh(doc);
    const delta = doc.type.encode(doc.type.deltaSince(doc.state, sub.digest));
    this.#send({ kind: 'sync', doc: sub.doc, delta });
    if (!doc.replicated.isEmpty)
      this.#send({ kind: 'replicated', doc: sub.doc, dots: doc.replicated });
    const others = node.presence.snapshot(sub.doc, this.#socket.id);
    if (others.length > 0) this.#send({ kind: 'presence', doc: sub.doc, entries: others });
  }

  /** Whether the connection is subscribed to `doc`. */
  has(doc: string): boolean {
    return this.#subscribed.has(doc);
  }

  leave(doc: string): void {
    if (!this.#subscribed.delete(doc)) return;
    void this.#socket.leave(roomOf(doc));
    this.#node.presence.leave(doc, this.#socket.id);
    const cached = this.#node.docs.peek(doc);
    if (cached) cached.subscribers--;
  }

  /** Leaves every document (the connection closed). */
  leaveAll(): void {
    for (const doc of [...this.#subscribed]) this.leave(doc);
  }
}
