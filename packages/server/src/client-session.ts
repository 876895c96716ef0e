import { decodeDeltaOf, type ReplicaId, typeOfEncoded, validateDelta } from '@helios/core';
import {
  type ClientToRelay,
  decodeMessage,
  type Message,
  type Push,
  type Subscribe,
} from '@helios/core/protocol';
import { asBytes } from '@helios/transport';
import type { RelayUser } from './auth.js';
import { ConnectionFlow } from './connection-flow.js';
import type { RelayDocument } from './documents.js';
import { RelayError } from './errors.js';
import { FrameQueue } from './frame-queue.js';
import type { SessionPort } from './node-ports.js';
import type { RelaySocket } from './relay-socket.js';
import { refuseRetiredWriter } from './retirement.js';
import { SessionPresence } from './session-presence.js';
import { SessionRefusals } from './session-refusals.js';
import { SessionRights } from './session-rights.js';
import { SessionSubscriptions } from './session-subscriptions.js';
import { type AckGroup, type PushEntry, SliceCommits } from './slice-commits.js';
import type { UserSlot } from './user-limits.js';
import { EVENT, send } from './wire.js';

/** Push entries validated and merged in one slice; other connections' work may run between. */
const SLICE_ENTRIES = 200;
/**
 * The same for a bulk writer: smaller, so that its slice, which may run past the end of the
 * bulk writers' part of a turn, does not run far past it.
 */
const BULK_SLICE_ENTRIES = 25;
/**
 * How long a connection closed over budget has to read the relay's last frames and close its
 * side, unread meanwhile, before the relay destroys it (ms).
 */
const ABANDON_GRACE_MS = 2_000;
/** Subscriptions (each a state diff to encode) answered in one slice. */
const SLICE_DOCS = 8;
/** Frames queued up to which an idle ordinary client's first slice goes at once (bytes). */
const IMMEDIATE_BYTES = 2 * 1024;

/** A message being worked through, a slice at a time. */
type Work =
  | { readonly kind: 'push'; readonly items: Push['entries']; next: number }
  | { readonly kind: 'subscribe'; readonly items: Subscribe['docs']; next: number };

/**
 * One client connection. Its frames are charged to its budget and its user's as they arrive,
 * queued, and worked through a slice at a time, strictly in order: a client's deltas are
 * validated in the order it wrote them. Its {@link ConnectionFlow} says when it must wait (the
 * relay stops reading it meanwhile, and TCP holds the client back) and when it has been over
 * budget so long that it is closed with `rate-limited`. What it refuses, it refuses through
 * {@link SessionRefusals}.
 */
export class ClientSession {
  readonly #node: SessionPort;
  readonly #socket: RelaySocket;
  readonly #user: RelayUser;
  readonly #replicas: ReadonlySet<ReplicaId>;
  readonly #slot: UserSlot;
  readonly #flow: ConnectionFlow;
  readonly #refusals: SessionRefusals;
  readonly #subscriptions: SessionSubscriptions;
  readonly #rights: SessionRights;
  readonly #presence: SessionPresence;
  /** Frames received and not yet decoded. */
  readonly #inbox = new FrameQueue();
  #current: Work | undefined;
  /** The queue is being worked through. */
  #pumping = false;
  /** Whether the slice being worked on is a bulk writer's (see ConnectionFlow). */
  #bulk = false;
  #debtTimer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  constructor(
    node: SessionPort,
    socket: RelaySocket,
    user: RelayUser,
    replicas: ReadonlySet<ReplicaId>,
    slot: UserSlot,
  ) {
    this.#node = node;
    this.#socket = socket;
    this.#user = user;
    this.#replicas = replicas;
    this.#slot = slot;
    this.#flow = new ConnectionFlow(node.limits, node.now, socket, slot.budget);
    const reply = (message: Message) => this.#send(message);
    this.#refusals = new SessionRefusals(reply, node.metrics, node.logger, node.now);
    this.#subscriptions = new SessionSubscriptions(node, socket, user, reply);
    this.#rights = new SessionRights(node, user, replicas, reply, this.#refusals);
    this.#presence = new SessionPresence(node, socket.id, user, (doc) =>
      this.#subscriptions.has(doc),
    );
    // Every frame is charged, whatever its event or payload: work the relay does not want
    // still costs it the parsing.
    socket.conn.on('packet', (packet: { type: string; data?: unknown }) => {
      if (packet.type !== 'message' || this.#closed) return;
      const data = packet.data;
      const bytes = typeof data === 'string' ? data.length : ((data as Uint8Array)?.length ?? 0);
      // Protocol frames are looked at by #receive; any other frame only if it overdrew.
      if (this.#flow.charge({ frames: 1, bytes })) this.#update();
    });
    socket.on(EVENT, (payload: unknown) => this.#receive(payload));
    socket.on('disconnect', () => this.#close());
  }

  /** Whether it has work that may be done now (queued, and the budget not in debt). */
  get #ready(): boolean {
    return (
      !this.#closed &&
      (this.#current !== undefined || this.#inbox.frames > 0) &&
      this.#flow.debtMs() === 0
    );
  }

  /**
   * Works through the queue in order, a slice at a time, while the budget allows. Each slice is
   * at least one microtask of its own, so the work of all connections interleaves.
   */
  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      // An ordinary client's first slice after it was idle, if small (a person's write), goes
      // at once: it is never queued behind others' backlogs. Its later slices take turns (see
      // LoopShare); a bulk writer's also wait for room in the bulk commit lane, so what it has
      // merged and not committed stays bounded, and its deltas commit there.
      let first = this.#inbox.bytes <= IMMEDIATE_BYTES;
      while (this.#ready) {
        this.#bulk = this.#flow.bulk(this.#inbox.bytes);
        const node = this.#node;
        const later = this.#bulk
          ? node.bulkTurn(this)
          : first
            ? undefined
            : node.loopShare.turn(this, 'interactive');
        if (later !== undefined) {
          await later;
          continue; // the budget or the queue may have changed meanwhile
        }
        if (first && !this.#bulk) node.loopShare.interactiveWork();
        first = false;
        await this.#slice();
        this.#update();
      }
    } finally {
      this.#pumping = false;
    }
  }

  #receive(payload: unknown): void {
    if (this.#closed) return;
    const bytes = asBytes(payload);
    if (bytes === undefined) {
      this.#refusals.refuseFrame('decode/bad-tag', 'messages are binary protocol frames');
      return;
    }
    this.#node.metrics.bytesIn.inc(bytes.length);
    const limits = this.#node.limits;
    // Reading stops at maxQueuedBytes; what was read already (a WebSocket's last chunk, or
    // long-polling, which cannot be stopped) gets room for one more frame, and no more.
    if (this.#inbox.bytes + bytes.length > limits.maxQueuedBytes + limits.maxMessageBytes) {
      this.#refusals.refuseFrame(
        'rate-limited',
        'too many frames queued: wait for acks before sending more',
      );
      return;
    }
    this.#inbox.push(bytes);
    this.#update();
  }

  /**
   * After anything that changes the queue or the budget: closes the connection if it has been
   * over budget too long, waits out a debt, or works through the queue.
   */
  #update(): void {
    if (this.#closed) return;
    const debt = this.#flow.assess(this.#inbox, this.#node.behind);
    if (debt === 'close') {
      this.#closeOverBudget();
      return;
    }
    if (debt > 0) {
      this.#debtTimer ??= setTimeout(() => {
        this.#debtTimer = undefined;
        this.#update();
      }, debt);
      return;
    }
    if (this.#ready) void this.#pump();
  }

  /**
   * One slice of the current message; takes the next frame when there is none. It awaits only
   * real promises (a hook, a store read), so a slice of cached documents costs one microtask.
   */
  async #slice(): Promise<void> {
    try {
      if (this.#current === undefined) {
        const frame = this.#inbox.shift();
        if (frame === undefined) return;
        const wasBulk = this.#bulk;
        this.#current = this.#start(frame);
        // Its entries are known now: a frame of many is a bulk writer's work, whatever came
        // before. One that makes the connection a bulk writer waits for a bulk turn (a new
        // flooder's first frame would otherwise take an ordinary client's turn), and entries
        // just charged may have overdrawn the budget: they wait until it is paid back.
        this.#bulk = this.#flow.bulk(this.#inbox.bytes);
        if (this.#current === undefined || this.#flow.debtMs() > 0) return;
        if (this.#bulk && !wasBulk) return;
      }
      const work = this.#current;
      if (work.kind === 'push') {
        const slice = this.#bulk ? BULK_SLICE_ENTRIES : SLICE_ENTRIES;
        const end = Math.min(work.items.length, work.next + slice);
        const oneWriter = this.#replicas.size === 1;
        const commits = new SliceCommits(this.#node, this.#socket.id, this.#bulk, oneWriter);
        for (; work.next < end; work.next++) {
          const entry = work.items[work.next]!;
          try {
            let doc = this.#documentToWrite(entry);
            if (doc instanceof Promise) {
              // Deltas merged so far are queued for commit before the slice yields.
              commits.seal();
              doc = await doc;
            }
            this.#write(doc, entry, commits);
          } catch (err) {
            this.#refusals.refuseError(err, { push: entry.id, doc: entry.doc });
          }
        }
        this.#ackWhenDurable(commits.seal());
      } else {
        const end = Math.min(work.items.length, work.next + SLICE_DOCS);
        for (; work.next < end; work.next++) {
          const sub = work.items[work.next]!;
          try {
            await this.#subscriptions.subscribe(sub);
          } catch (err) {
            this.#refusals.refuseError(err, { doc: sub.doc });
          }
        }
      }
      if (work.next >= work.items.length) this.#current = undefined;
    } catch (err) {
      this.#refusals.refuseError(err);
    }
  }

  /** Decodes a frame and charges its entries; the work it asks for, if any is left to do. */
  #start(frame: Uint8Array): Work | undefined {
    let message: ClientToRelay;
    try {
      const decoded = decodeMessage(frame, this.#node.decodeLimits);
      if (
        decoded.kind !== 'push' &&
        decoded.kind !== 'subscribe' &&
        decoded.kind !== 'unsubscribe' &&
        decoded.kind !== 'rights-request' &&
        decoded.kind !== 'presence-set'
      ) {
        throw new RelayError('wrong-role', `a client may not send ${decoded.kind} messages`);
      }
      message = decoded;
    } catch (err) {
      this.#refusals.refuseError(err, {}, true);
      return undefined;
    }
    switch (message.kind) {
      case 'rights-request':
        this.#flow.charge({ entries: 1 });
        this.#rights.request(message);
        return undefined;
      case 'presence-set':
        // Charged as one entry; what it costs to fan out is bounded by its own rate limit.
        this.#flow.charge({ entries: 1 });
        try {
          this.#presence.set(message);
        } catch (err) {
          this.#refusals.refuseError(err, { doc: message.doc });
        }
        return undefined;
      case 'unsubscribe':
        this.#flow.charge({ entries: message.docs.length });
        for (const doc of message.docs) this.#subscriptions.leave(doc);
        return undefined;
      case 'subscribe':
        this.#flow.charge({ entries: message.docs.length });
        return { kind: 'subscribe', items: message.docs, next: 0 };
      case 'push':
        this.#flow.charge({ entries: message.entries.length });
        return { kind: 'push', items: message.entries, next: 0 };
    }
  }

  /** The document a push entry writes to, once the user may write it. */
  #documentToWrite(entry: PushEntry): RelayDocument | Promise<RelayDocument> {
    const allowed = this.#node.authorize(this.#user, entry.doc, 'write');
    if (typeof allowed !== 'boolean') return allowed.then((ok) => this.#documentIf(ok, entry));
    return this.#documentIf(allowed, entry);
  }

  #documentIf(allowed: boolean, entry: PushEntry): RelayDocument | Promise<RelayDocument> {
    if (!allowed) throw new RelayError('forbidden', `no write access to ${entry.doc}`);
    const node = this.#node;
    return (
      node.docs.hit(entry.doc) ??
      node.documentFor(entry.doc, typeOfEncoded(entry.delta, node.decodeLimits))
    );
  }

  /** Validates and merges one push entry, to be acked with the slice's `commits`. */
  #write(doc: RelayDocument, entry: PushEntry, commits: SliceCommits): void {
    const node = this.#node;
    const delta = decodeDeltaOf(doc.type, entry.delta, node.decodeLimits);
    refuseRetiredWriter(delta.context, this.#replicas, node.retiredEpochsBelow());
    const admitted = validateDelta(doc.type, doc.state, delta, {
      replicas: this.#replicas,
      maxCounterStep: node.limits.maxCounterStep,
      maxDriftMs: node.limits.maxDriftMs,
      now: node.now,
    });
    if (admitted === 'write') commits.write(entry, doc, delta);
    else commits.replay(entry, doc);
  }

  /**
   * One ack for the entries of a slice once all are durable (after their group commit); the
   * connection's next slice does not wait for it (it sees these deltas, merged before). Entries
   * whose commit failed are refused instead.
   */
  #ackWhenDurable(groups: readonly AckGroup[]): void {
    if (groups.length === 0) return;
    const outcomes = groups.map(({ entries, durable }) =>
      durable.then(
        () => entries.map((e) => e.id),
        (err: unknown) => {
          for (const e of entries) this.#refusals.refuseError(err, { push: e.id, doc: e.doc });
          return [];
        },
      ),
    );
    void Promise.all(outcomes).then((ids) => {
      const acked = ids.flat();
      if (acked.length > 0 && this.#socket.connected) this.#send({ kind: 'ack', ids: acked });
    });
  }

  #send(message: Message): void {
    this.#node.metrics.bytesOut.inc(send(this.#socket, message));
  }

  #closeOverBudget(): void {
    const seconds = this.#node.limits.overBudgetCloseMs / 1000;
    this.#refusals.refuse(
      'rate-limited',
      `over the relay's budget for ${seconds} s: closing the connection`,
    );
    this.#node.metrics.closedOverBudget.inc();
    this.#close(false);
    // After the error has been written (engine.io flushes its buffer before closing). What the
    // flood still has on its way is not parsed: twenty flooders closed at once would otherwise
    // hold everyone up while their backlogs are parsed, only to be dropped.
    setImmediate(() => {
      this.#socket.disconnect(true);
      this.#flow.abandon(ABANDON_GRACE_MS);
    });
  }

  /** `read`: whether to read the socket again (not for a flood the relay is closing). */
  #close(read = true): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#debtTimer);
    this.#inbox.clear();
    this.#current = undefined;
    if (read) this.#flow.release();
    this.#slot.release();
    this.#subscriptions.leaveAll();
    this.#node.metrics.connections.dec();
  }
}
