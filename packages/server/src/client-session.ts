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
import { Budget, Spending } from './budget.js';
import { RelayError } from './errors.js';
import type { Turn, Worker } from './fair-scheduler.js';
import { Inbox } from './inbox.js';
import { IngressGate } from './ingress-gate.js';
import { OverBudgetClock } from './over-budget.js';
import type { RelayNode } from './relay-node.js';
import { ReplyCap } from './reply-cap.js';
import type { UserSlot } from './user-limits.js';
import { asBytes, EVENT, roomOf, send } from './wire.js';

/** Push entries or subscriptions handled in one turn (see {@link FairScheduler}). */
const ENTRIES_PER_TURN = 50;
/** The same in a light turn, which goes before every backlog. */
const ENTRIES_PER_LIGHT_TURN = 16;
/** Replies per connection per second to frames refused as a whole, and to floods. */
const REPLIES_PER_SECOND = 10;
/**
 * A connection with no more than this queued (messages, bytes), read freely and within its
 * budget, is light: its work goes before every backlog (see {@link FairScheduler}).
 */
const LIGHT_MESSAGES = 4;
const LIGHT_BYTES = 4 * 1024;
/** A connection with more than this many bytes queued has a pile of work: it is heavy at once. */
const BULK_BYTES = LIGHT_BYTES;
/** A break this long (ms) ends a stretch over budget (see {@link OverBudgetClock}). */
const OVER_BUDGET_GRACE_MS = 1_000;

/**
 * One client connection: decodes its messages, checks each against the user's rights and the
 * connection's limits, and hands valid deltas to the node. Messages of one connection are
 * handled strictly in order, so a client's deltas are validated in the order it wrote them.
 *
 * What a connection may make the relay do is bounded: its frames are charged to its budget and
 * its user's as they arrive (see {@link IngressGate}), and queued in a bounded {@link Inbox};
 * the node's {@link FairScheduler} hands out turns to handle them, a slice at a time, and each
 * slice's entries are charged before it runs. A connection over budget, or whose inbox is full,
 * is no longer read until it is within bounds again; one that stays over budget for
 * `overBudgetCloseMs` is told `rate-limited` and closed.
 */
export class ClientSession implements Worker {
  readonly #node: RelayNode;
  readonly #socket: Socket;
  readonly #user: RelayUser;
  readonly #replicas: ReadonlySet<ReplicaId>;
  readonly #subscribed = new Set<string>();
  readonly #spending: Spending;
  readonly #gate: IngressGate;
  readonly #inbox: Inbox;
  readonly #overBudget: OverBudgetClock;
  /** Refusals of whole frames (undecodable, not binary, another event, wrong role). */
  readonly #frameReplies: ReplyCap;
  readonly #rateLimitedReplies: ReplyCap;
  /** A unit of this connection's work is being handled. */
  #busy = false;
  #budgetTimer: ReturnType<typeof setTimeout> | undefined;
  /** No more work is taken: the connection is closing or closed. */
  #stopped = false;
  #closed = false;

  constructor(
    node: RelayNode,
    socket: Socket,
    user: RelayUser,
    replicas: ReadonlySet<ReplicaId>,
    slot: UserSlot,
  ) {
    this.#node = node;
    this.#socket = socket;
    this.#user = user;
    this.#replicas = replicas;
    const limits = node.limits;
    const own = new Budget(
      {
        framesPerSecond: limits.maxMessagesPerSecond,
        bytesPerSecond: limits.maxBytesPerSecond,
        entriesPerSecond: limits.maxDeltasPerSecond,
      },
      node.now,
    );
    this.#spending = new Spending([own, slot.budget]);
    this.#overBudget = new OverBudgetClock(OVER_BUDGET_GRACE_MS, node.now);
    this.#frameReplies = new ReplyCap(REPLIES_PER_SECOND, 1_000, node.now);
    this.#rateLimitedReplies = new ReplyCap(REPLIES_PER_SECOND, 1_000, node.now);
    this.#inbox = new Inbox(
      { maxMessages: limits.maxQueuedMessages, maxBytes: limits.maxQueuedBytes },
      (bytes) => this.#decode(bytes),
    );
    this.#gate = IngressGate.of(socket.conn);
    this.#gate.attach({
      charge: (bytes) => this.#spending.frame(bytes),
      throttled: (ms) => this.#throttled(ms),
      // Room for a whole chunk of small frames and a frame of the largest size.
      maxHeldBytes: limits.maxQueuedBytes + limits.maxMessageBytes,
      dropped: () => this.#refuse('rate-limited', 'too many messages: one was dropped'),
    });
    socket.on(EVENT, (payload: unknown) => this.#receive(payload));
    socket.onAny((event: unknown) => {
      if (event !== EVENT) {
        this.#refuse('decode/bad-tag', `messages are binary frames of the event '${EVENT}'`);
      }
    });
    socket.on('disconnect', () => this.#close());
  }

  #receive(payload: unknown): void {
    if (this.#stopped) return;
    const bytes = asBytes(payload);
    if (bytes === undefined) {
      this.#refuse('decode/bad-tag', 'messages are binary protocol frames');
      return;
    }
    this.#node.metrics.bytesIn.inc(bytes.length);
    const idle = this.#inbox.empty && !this.#busy;
    this.#inbox.push(bytes);
    if (this.#inbox.full) this.#gate.pause('queue');
    if (!this.#busy && this.#budgetTimer === undefined) this.#ready(idle);
  }

  #decode(bytes: Uint8Array): ClientToRelay {
    const decoded = decodeMessage(bytes, this.#node.decodeLimits);
    if (decoded.kind !== 'push' && decoded.kind !== 'subscribe' && decoded.kind !== 'unsubscribe') {
      throw new RelayError('wrong-role', `a client may not send ${decoded.kind} messages`);
    }
    return decoded;
  }

  /**
   * Light: it was idle or has little queued, is read freely and was not over budget lately. A
   * client that writes now and then is light (whatever the size of its write); one that sends
   * more than it is served is not. Bulk: more than one message's worth of bytes piled up.
   */
  #kind(idle: boolean): 'light' | 'bulk' | 'backlog' {
    const inbox = this.#inbox;
    if (!idle && inbox.bytes > BULK_BYTES) return 'bulk';
    const little = idle || (inbox.length <= LIGHT_MESSAGES && inbox.bytes <= LIGHT_BYTES);
    return little && !this.#gate.paused && this.#overBudget.overForMs() === 0 ? 'light' : 'backlog';
  }

  /** The next unit may run once the entry budgets are out of debt: ask for a turn then. */
  #ready(idle = false): void {
    const wait = this.#spending.entriesWait();
    if (wait === 0) {
      this.#node.scheduler.request(this, this.#kind(idle));
      return;
    }
    this.#throttled(wait);
    if (this.#stopped) return;
    this.#budgetTimer = setTimeout(() => {
      this.#budgetTimer = undefined;
      if (!this.#stopped) this.#ready();
    }, wait);
  }

  /** Takes the next unit of this connection's work and handles it (see {@link Worker}). */
  turn(light: boolean): Turn {
    if (this.#stopped || this.#busy) return { cost: 0, done: Promise.resolve() };
    this.#busy = true;
    let done: Promise<void>;
    let cost = 0;
    try {
      const unit = this.#inbox.next(light ? ENTRIES_PER_LIGHT_TURN : ENTRIES_PER_TURN);
      if (unit !== undefined) {
        cost = unit.entries;
        this.#spending.entries(unit.entries);
        done = this.#handle(unit.message).catch((err: unknown) => this.#refuseError(err));
      } else done = Promise.resolve();
    } catch (err) {
      this.#refuseError(err); // the frame could not be decoded
      done = Promise.resolve();
    }
    return { cost, done: done.then(() => this.#turnDone()) };
  }

  #turnDone(): void {
    this.#busy = false;
    if (this.#stopped) return;
    if (this.#inbox.drained) this.#gate.resume('queue');
    if (!this.#inbox.empty && this.#budgetTimer === undefined) this.#ready();
  }

  /** The connection has to wait `ms` for its budget: closed if it has been over for too long. */
  #throttled(ms: number): void {
    this.#overBudget.waiting(ms);
    const limit = this.#node.limits.overBudgetCloseMs;
    if (this.#overBudget.overForMs() < limit) return;
    this.#closeOverBudget(`over its budget for ${limit / 1000} s: closing the connection`);
  }

  /** Stops reading and handling, sends `rate-limited` (within the reply cap), disconnects. */
  #closeOverBudget(text: string): void {
    if (this.#stopped) return;
    this.#stopWork();
    this.#gate.pause('closing');
    this.#node.logger.info(
      { user: this.#user.id, socket: this.#socket.id },
      'closed a connection that stayed over its budget',
    );
    const close = () => {
      this.#refuse('rate-limited', text);
      this.#socket.disconnect(true);
    };
    const wait = this.#rateLimitedReplies.msUntilFree();
    if (wait === 0) close();
    else setTimeout(close, wait);
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
        // The entries were charged to the budgets before this turn (see `turn`).
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

  /**
   * Counts a refusal and answers it, except that refusals of whole frames and `rate-limited`
   * replies are each answered at most {@link REPLIES_PER_SECOND} times a second: a flood cannot
   * make the relay talk.
   */
  #refuse(code: string, text: string, where: { push?: number; doc?: string } = {}): void {
    this.#node.metrics.refused.inc({ code });
    const cap =
      code === 'rate-limited'
        ? this.#rateLimitedReplies
        : where.push === undefined && where.doc === undefined
          ? this.#frameReplies
          : undefined;
    if (cap !== undefined && !cap.allow()) return;
    if (!this.#socket.connected) return;
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

  /** No more work: what is queued is dropped (the client pushes it again when it reconnects). */
  #stopWork(): void {
    this.#stopped = true;
    clearTimeout(this.#budgetTimer);
    this.#inbox.clear();
    this.#node.scheduler.forget(this);
  }

  /** The connection is gone: its queued work and its subscriptions with it. */
  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopWork();
    this.#gate.detach();
    for (const doc of [...this.#subscribed]) this.#leave(doc);
    this.#node.metrics.connections.dec();
  }
}
