import {
  type ClientToRelay,
  DecodeError,
  decodeDeltaOf,
  decodeMessage,
  decodeState,
  type Push,
  type ReplicaId,
  type Subscribe,
  typeOfEncoded,
  ValidationError,
  validateDelta,
} from '@helios/core';
import type { Socket } from 'socket.io';
import type { RelayUser } from './auth.js';
import { RelayError } from './errors.js';
import { TokenBucket } from './rate-limiter.js';
import type { RelayNode } from './relay-node.js';
import { asBytes, EVENT, roomOf, send } from './wire.js';

/**
 * One client connection: decodes its messages, checks each against the user's rights and the
 * connection's limits, and hands valid deltas to the node. Messages of one connection are
 * handled strictly in order, so a client's deltas are validated in the order it wrote them.
 */
export class ClientSession {
  readonly #node: RelayNode;
  readonly #socket: Socket;
  readonly #user: RelayUser;
  readonly #replicas: ReadonlySet<ReplicaId>;
  readonly #messages: TokenBucket;
  readonly #deltas: TokenBucket;
  readonly #subscribed = new Set<string>();
  #queue: Promise<void> = Promise.resolve();
  #refusedMessages = 0;
  #refusedSince = 0;

  constructor(node: RelayNode, socket: Socket, user: RelayUser, replicas: ReadonlySet<ReplicaId>) {
    this.#node = node;
    this.#socket = socket;
    this.#user = user;
    this.#replicas = replicas;
    const { maxMessagesPerSecond, maxDeltasPerSecond } = node.limits;
    this.#messages = new TokenBucket(maxMessagesPerSecond, maxMessagesPerSecond * 2, node.now);
    this.#deltas = new TokenBucket(maxDeltasPerSecond, maxDeltasPerSecond * 2, node.now);
    socket.on(EVENT, (payload: unknown) => this.#receive(payload));
    socket.on('disconnect', () => this.#close());
  }

  #receive(payload: unknown): void {
    if (!this.#messages.take()) {
      // A flood: answer at most a few refusals a second, so the flood cannot make us talk.
      const now = this.#node.now();
      if (now - this.#refusedSince > 1_000) {
        this.#refusedSince = now;
        this.#refusedMessages = 0;
      }
      if (++this.#refusedMessages <= 10) this.#refuse('rate-limited', 'too many messages');
      this.#node.metrics.refused.inc({ code: 'rate-limited' });
      return;
    }
    const bytes = asBytes(payload);
    if (bytes === undefined) {
      this.#refuse('decode/bad-tag', 'messages are binary protocol frames');
      return;
    }
    this.#node.metrics.bytesIn.inc(bytes.length);
    let message: ClientToRelay;
    try {
      const decoded = decodeMessage(bytes, this.#node.decodeLimits);
      if (
        decoded.kind !== 'push' &&
        decoded.kind !== 'subscribe' &&
        decoded.kind !== 'unsubscribe'
      ) {
        throw new RelayError('wrong-role', `a client may not send ${decoded.kind} messages`);
      }
      message = decoded;
    } catch (err) {
      this.#refuseError(err);
      return;
    }
    this.#queue = this.#queue
      .then(() => this.#handle(message))
      .catch((err) => this.#refuseError(err));
  }

  async #handle(message: ClientToRelay): Promise<void> {
    switch (message.kind) {
      case 'subscribe':
        return this.#subscribe(message);
      case 'unsubscribe':
        for (const doc of message.docs) this.#leave(doc);
        return;
      case 'push':
        return this.#push(message);
    }
  }

  async #subscribe(message: Subscribe): Promise<void> {
    for (const sub of message.docs) {
      try {
        if (
          !this.#subscribed.has(sub.doc) &&
          this.#subscribed.size >= this.#node.limits.maxSubscriptions
        ) {
          throw new RelayError(
            'too-large',
            `at most ${this.#node.limits.maxSubscriptions} subscriptions`,
          );
        }
        if (!(await this.#node.authorize(this.#user, sub.doc, 'read'))) {
          throw new RelayError('forbidden', `no read access to ${sub.doc}`);
        }
        const { type } = decodeState(sub.type, this.#node.decodeLimits);
        const doc = await this.#node.documentFor(sub.doc, type);
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
        await this.#node.refresh(doc);
        const delta = doc.type.encode(doc.type.deltaSince(doc.state, sub.digest));
        this.#send({ kind: 'sync', doc: sub.doc, delta });
        if (!doc.replicated.isEmpty)
          this.#send({ kind: 'replicated', doc: sub.doc, dots: doc.replicated });
      } catch (err) {
        this.#refuseError(err, { doc: sub.doc });
      }
    }
  }

  #leave(doc: string): void {
    if (!this.#subscribed.delete(doc)) return;
    void this.#socket.leave(roomOf(doc));
    const cached = this.#node.docs.peek(doc);
    if (cached) cached.subscribers--;
  }

  async #push(message: Push): Promise<void> {
    const commits: Promise<number | undefined>[] = [];
    const ids: number[] = [];
    for (const entry of message.entries) {
      try {
        if (!this.#deltas.take()) {
          throw new RelayError(
            'rate-limited',
            `more than ${this.#node.limits.maxDeltasPerSecond} deltas per second`,
          );
        }
        if (!(await this.#node.authorize(this.#user, entry.doc, 'write'))) {
          throw new RelayError('forbidden', `no write access to ${entry.doc}`);
        }
        const doc = await this.#node.documentFor(
          entry.doc,
          typeOfEncoded(entry.delta, this.#node.decodeLimits),
        );
        const delta = decodeDeltaOf(doc.type, entry.delta, this.#node.decodeLimits);
        const admitted = validateDelta(doc.type, doc.state, delta, {
          replicas: this.#replicas,
          maxCounterStep: this.#node.limits.maxCounterStep,
          maxDriftMs: this.#node.limits.maxDriftMs,
          now: this.#node.now,
        });
        const durable =
          admitted === 'write'
            ? this.#node.applyLocal(doc, entry.delta, delta, this.#socket.id)
            : this.#node.confirmReplay(doc).then(() => 0);
        ids.push(entry.id);
        commits.push(
          durable.catch((err) => {
            this.#refuseError(err, { push: entry.id, doc: entry.doc });
            return undefined;
          }),
        );
      } catch (err) {
        this.#refuseError(err, { push: entry.id, doc: entry.doc });
      }
    }
    if (commits.length === 0) return;
    // Don't hold the connection's queue while the group commit runs: later messages may be
    // validated meanwhile (they see this push's deltas, merged before commit).
    void Promise.all(commits).then((seqs) => {
      const acked = ids.filter((_, i) => seqs[i] !== undefined);
      if (acked.length > 0 && this.#socket.connected) this.#send({ kind: 'ack', ids: acked });
    });
  }

  #send(message: Parameters<typeof send>[1]): void {
    this.#node.metrics.bytesOut.inc(send(this.#socket, message));
  }

  #refuse(code: string, text: string, where: { push?: number; doc?: string } = {}): void {
    this.#node.metrics.refused.inc({ code });
    this.#send({ kind: 'error', code, message: text, ...where });
  }

  #refuseError(err: unknown, where: { push?: number; doc?: string } = {}): void {
    if (err instanceof DecodeError) this.#refuse(`decode/${err.code}`, err.message, where);
    else if (err instanceof ValidationError) this.#refuse(err.rule, err.message, where);
    else if (err instanceof RelayError) this.#refuse(err.code, err.message, where);
    else {
      this.#node.logger.error({ err }, 'unexpected error while handling a client message');
      this.#refuse('internal', 'the relay could not handle this message', where);
    }
  }

  #close(): void {
    for (const doc of [...this.#subscribed]) this.#leave(doc);
    this.#node.metrics.connections.dec();
  }
}
