import {
  AWSet,
  type ClockedActor,
  type CrdtState,
  type CrdtType,
  DecodeError,
  GCounter,
  HybridLogicalClock,
  type Key,
  LWWMap,
  LWWRegister,
  type Message,
  MVRegister,
  newReplicaId,
  ORSet,
  orMap,
  PNCounter,
  RWSet,
  type Value,
  type Welcome,
} from '@helios/core';
import { BehaviorSubject, type Observable } from 'rxjs';
import { CausalGate, HOLD_MAX_MS, type Incoming } from './causal-gate.js';
import { ClientDocument } from './client-document.js';
import { ClientError, RefusedWriteError } from './client-error.js';
import {
  AWSetHandle,
  CounterHandle,
  CrdtMapHandle,
  type DocumentHandle,
  GCounterHandle,
  LWWMapHandle,
  MVRegisterHandle,
  ORSetHandle,
  RegisterHandle,
  RWSetHandle,
  type Writer,
} from './handles.js';
import type { ClientOptions } from './options.js';
import { IdbPersistence } from './persistence/idb-persistence.js';
import { MemoryPersistence } from './persistence/memory-persistence.js';
import {
  type ClientPersistence,
  type OutboxEntry,
  PersistenceError,
} from './persistence/persistence.js';
import { Receipt } from './receipt.js';
import { RelayConnection } from './relay-connection.js';
import { acquireReplicaSlot, type ReplicaSlot } from './replica-slot.js';
import type { ClientStatus, StorageProblem, StorageStatus } from './status.js';

/**
 * Relay error codes after which a write may still be accepted later: it stays in the outbox and
 * is pushed again. Every other refusal is final. Two validation rules refuse writes that follow
 * events this relay has not received yet (another region's, after a failover; another tab's, not
 * yet pushed); replication brings those, and then the write is valid:
 * - `unknown-context`: the write's context names them;
 * - `counter-decrease`: a counter in a crdtMap restarts from zero after its key was removed, and
 *   the relay, not having seen the removal yet, still holds the old, higher entry. (Our own
 *   counters never go down otherwise.)
 */
const TRANSIENT = new Set([
  'rate-limited',
  'unavailable',
  'internal',
  'unknown-context',
  'counter-decrease',
]);
/** Delay before pushing transiently refused writes again: doubles up to the maximum. */
const RETRY_MIN_MS = 250;
const RETRY_MAX_MS = 5_000;
/**
 * How long settled outbox entries (acknowledged or refused for good) may wait for a commit to
 * delete them in its transaction before they get one of their own.
 */
const SETTLE_WITHIN_MS = 1_000;
/** Push entries per message when re-sending the outbox. */
const PUSH_BATCH = 200;
/** Replica ids a relay accepts in one handshake. */
const MAX_HANDSHAKE_REPLICAS = 16;

interface QueuedWrite {
  readonly doc: string;
  readonly delta: Uint8Array;
  readonly receipt: Receipt | undefined;
}

interface OutboxItem extends OutboxEntry {
  receipt: Receipt | undefined;
}

/**
 * The Helios client. Create one per app with {@link createClient}; open documents through its
 * typed handles.
 */
export class HeliosClient implements Writer {
  readonly #options: ClientOptions;
  readonly #dbName: string;
  readonly #docs = new Map<
    string,
    { doc: ClientDocument<unknown, unknown>; handle: DocumentHandle<unknown, unknown> }
  >();
  readonly #status: BehaviorSubject<ClientStatus>;
  readonly #outbox = new Map<number, OutboxItem>();
  readonly #awaitingGlobal = new Map<string, Receipt[]>();
  readonly #connection: RelayConnection;
  readonly #channel: BroadcastChannel | undefined;
  readonly #early = new Map<string, Uint8Array[]>();
  /** Per document: deltas held until causally ready, and whether its sync reply came. */
  readonly #gates = new Map<string, CausalGate>();
  #persistence!: ClientPersistence;
  #slot: ReplicaSlot | undefined;
  /** Replica ids announced to relays: ours first, then the profile's other slots. */
  #replicas: readonly string[] = [];
  #clock!: HybridLogicalClock;
  #queue: QueuedWrite[] = [];
  #committing: Promise<void> = Promise.resolve();
  #commitScheduled = false;
  /** Outbox ids settled in memory whose stored entries the next commit deletes. */
  #settled: number[] = [];
  #settleTimer: ReturnType<typeof setTimeout> | undefined;
  /** Highest outbox id seen, so ids stay unique across a fallback to memory. */
  #maxOutboxId = 0;
  #degrading: Promise<void> | undefined;
  /** Whether the app wants a connection; applied once start-up has a replica id to announce. */
  #wantOnline: boolean;
  #started = false;
  /** Outbox ids refused for now, and when they are pushed again. */
  readonly #retrying = new Set<number>();
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #retryDelay = RETRY_MIN_MS;
  #closed = false;
  /** The last handshake refusal, shown as `lastError` until that relay admits us. */
  #refusal: ClientStatus['lastError'] = null;
  /** Resolves when local storage is open and a replica slot is held. */
  readonly ready: Promise<void>;

  constructor(options: ClientOptions) {
    this.#options = options;
    this.#dbName = options.dbName ?? 'helios';
    this.#wantOnline = !options.offline;
    this.#status = new BehaviorSubject<ClientStatus>({
      connection: options.offline ? 'offline' : 'connecting',
      relay: null,
      region: null,
      pending: {},
      pendingTotal: 0,
      lastAckAt: null,
      storage: { kind: 'memory' },
      lastError: null,
    });
    this.#connection = new RelayConnection({
      relays: options.relays,
      token: async () => {
        const token = options.auth?.token;
        return typeof token === 'function' ? token() : token;
      },
      replicas: () => this.#replicas,
      ...(options.homeProbeMs !== undefined ? { homeProbeMs: options.homeProbeMs } : {}),
      onWelcome: (welcome, url, rtt) => this.#welcomed(welcome, url, rtt),
      onMessage: (message) => this.#received(message),
      onState: (connection, relay) => this.#setStatus({ connection, relay }),
      onRefused: (code, message, relay) => {
        this.#refusal = { code, message, relay };
        this.#setStatus({ lastError: this.#refusal });
      },
    });
    const tabSync = options.tabSync ?? typeof BroadcastChannel !== 'undefined';
    this.#channel = tabSync ? new BroadcastChannel(`helios:${this.#dbName}`) : undefined;
    if (this.#channel) {
      this.#channel.onmessage = (event: MessageEvent<{ doc: string; delta: Uint8Array }>) =>
        this.#fromOtherTab(event.data.doc, event.data.delta);
    }
    this.ready = this.#start();
  }

  /** The replica id this client writes as (once `ready`). */
  get replica(): string | undefined {
    return this.#slot?.replica;
  }

  /** Connection, relay, pending writes, storage: the current status. */
  get status(): ClientStatus {
    return this.#status.value;
  }

  /** The status as an Observable: the current value, then every change. */
  get status$(): Observable<ClientStatus> {
    return this.#status.asObservable();
  }

  // ─── handles ─────────────────────────────────────────────────────────────────────────────

  counter(id: string): CounterHandle {
    return this.#open(id, PNCounter, CounterHandle);
  }
  gCounter(id: string): GCounterHandle {
    return this.#open(id, GCounter, GCounterHandle);
  }
  register<T extends Value>(id: string): RegisterHandle<T> {
    return this.#open(id, LWWRegister, RegisterHandle) as RegisterHandle<T>;
  }
  mvRegister<T extends Value>(id: string): MVRegisterHandle<T> {
    return this.#open(id, MVRegister, MVRegisterHandle) as MVRegisterHandle<T>;
  }
  lwwMap<V extends Value>(id: string): LWWMapHandle<V> {
    return this.#open(id, LWWMap, LWWMapHandle) as LWWMapHandle<V>;
  }
  orSet<T extends Key>(id: string): ORSetHandle<T> {
    return this.#open(id, ORSet, ORSetHandle) as ORSetHandle<T>;
  }
  awSet<T extends Key>(id: string): AWSetHandle<T> {
    return this.#open(id, AWSet, AWSetHandle) as AWSetHandle<T>;
  }
  rwSet<T extends Key>(id: string): RWSetHandle<T> {
    return this.#open(id, RWSet, RWSetHandle) as RWSetHandle<T>;
  }
  /** An OR-Map whose values are CRDTs of `valueType`, e.g. `client.crdtMap('cart', PNCounter)`. */
  crdtMap<S, V>(id: string, valueType: CrdtType<S, V>): CrdtMapHandle<S, V> {
    return this.#open(id, orMap(valueType), CrdtMapHandle) as CrdtMapHandle<S, V>;
  }

  #open<S, V, H extends DocumentHandle<S, unknown>>(
    id: string,
    type: CrdtType<S, V>,
    Handle: new (doc: ClientDocument<S, V>, writer: Writer) => H,
  ): H {
    if (typeof id !== 'string' || id.length === 0 || id.length > 256) {
      throw new ClientError('invalid-argument', 'a document id is a string of 1 to 256 characters');
    }
    const open = this.#docs.get(id);
    if (open) {
      if (open.doc.type !== type || !(open.handle instanceof Handle)) {
        throw new ClientError(
          'type-mismatch',
          `document ${id} is open as a ${open.doc.type.name}, not a ${type.name}`,
        );
      }
      return open.handle as H;
    }
    if (this.#closed) throw new ClientError('closed', 'this client is closed');
    const doc = new ClientDocument(id, type);
    const handle = new Handle(doc, this);
    this.#docs.set(id, {
      doc: doc as ClientDocument<unknown, unknown>,
      handle: handle as unknown as DocumentHandle<unknown, unknown>,
    });
    void this.#load(doc as ClientDocument<unknown, unknown>);
    return handle;
  }

  // ─── start-up and loading ────────────────────────────────────────────────────────────────

  async #start(): Promise<void> {
    this.#persistence = await this.#openPersistence();
    this.#slot = await acquireReplicaSlot(
      this.#dbName,
      this.#persistence,
      () => newReplicaId(),
      this.#options.maxReplicaSlots ?? 8,
    );
    // The outbox is shared by the profile's tabs, and a tab that crashed leaves its writes in
    // it: the relay must let us push them, so we announce every slot's id, not only ours.
    const slotIds = await this.#persistence.slotIds().catch(() => []);
    this.#replicas = [
      this.#slot.replica,
      ...slotIds.filter((id) => id !== this.#slot?.replica),
    ].slice(0, MAX_HANDSHAKE_REPLICAS);
    const offset = await this.#persistence.getMeta('clockOffsetMs').catch(() => undefined);
    this.#clock = new HybridLogicalClock({
      replica: this.#slot.replica,
      ...(typeof offset === 'number' ? { offsetMs: offset } : {}),
    });
    // Writes of earlier sessions (or of crashed tabs) that no relay acknowledged yet.
    for (const entry of await this.#persistence.outbox().catch(() => [])) {
      this.#outbox.set(entry.id, { ...entry, receipt: undefined });
      this.#maxOutboxId = Math.max(this.#maxOutboxId, entry.id);
    }
    this.#publishPending();
    this.#started = true;
    if (this.#wantOnline) this.#connection.start();
  }

  async #openPersistence(): Promise<ClientPersistence> {
    const wanted = this.#options.persistence;
    if (typeof wanted === 'object') {
      this.#setStatus({ storage: { kind: wanted.kind } });
      return wanted;
    }
    if (wanted === 'memory' || (wanted === undefined && globalThis.indexedDB === undefined)) {
      this.#setStatus({ storage: { kind: 'memory' } });
      return new MemoryPersistence(this.#dbName);
    }
    try {
      const idb = await IdbPersistence.open(
        this.#dbName,
        (problem) => void this.#degrade(problem, 'IndexedDB went away'),
      );
      this.#setStatus({ storage: { kind: 'indexeddb' } });
      return idb;
    } catch (err) {
      const problem = err instanceof PersistenceError ? err.problem : 'unavailable';
      this.#setStatus({ storage: { kind: 'memory', problem, message: (err as Error).message } });
      return new MemoryPersistence();
    }
  }

  async #load(doc: ClientDocument<unknown, unknown>): Promise<void> {
    try {
      await this.ready;
      const stored = await this.#persistence.load(doc.id);
      // Nothing is in memory yet (writes wait for the load): the snapshot is the state.
      if (stored.snapshot) doc.adopt(doc.type.decode(stored.snapshot));
      for (const delta of stored.deltas) doc.type.merge(doc.state, doc.type.decode(delta));
      doc.storedSinceSnapshot = stored.deltas.length;
    } catch (err) {
      // Unreadable local data must not block the app: start empty; the relay fills it in.
      this.#setStatus({
        lastError: { code: 'load-failed', message: (err as Error).message, doc: doc.id },
      });
    }
    // Other tabs' writes that came while loading: they wait for what they replace like any other.
    for (const bytes of this.#early.get(doc.id) ?? []) {
      const delta = this.#decode(doc, bytes);
      if (delta) this.#offer(doc, { delta, bytes, fromRelay: false });
    }
    this.#early.delete(doc.id);
    doc.finishLoading();
    this.#subscribe([doc]);
  }

  // ─── the write path ──────────────────────────────────────────────────────────────────────

  /**
   * Applies a mutation at once (or as soon as the document is loaded), then makes it durable
   * locally, shares it with other tabs and pushes it to the relay, in that order.
   */
  write<S>(
    doc: ClientDocument<S, unknown>,
    mutate: (state: CrdtState<S>, actor: ClockedActor) => CrdtState<S>,
  ): Receipt {
    if (this.#closed) throw new ClientError('closed', 'this client is closed');
    if (!doc.isLoaded || !this.#slot) {
      const receipt = new Receipt(doc.id, undefined);
      void doc.loaded.then(() => {
        try {
          const applied = this.write(doc, mutate);
          applied.subscribe((level) => receipt.reach(level));
          // Any failure of the applied write, even after 'local' (a relay refusal), is this one's.
          applied.wait('global').catch((err: Error) => receipt.fail(err));
        } catch (err) {
          receipt.fail(err as Error);
        }
      });
      return receipt;
    }
    const clock = this.#clock;
    const actor: ClockedActor = { replica: this.#slot.replica, now: () => clock.now() };
    const next = doc.state.context.next(actor.replica);
    const delta = mutate(doc.state, actor); // throws on bad input, before anything changes
    const receipt = new Receipt(
      doc.id,
      delta.context.has(next.replica, next.seq) ? next : undefined,
    );
    doc.apply(delta);
    this.#enqueue({ doc: doc.id, delta: doc.type.encode(delta), receipt });
    return receipt;
  }

  #enqueue(write: QueuedWrite): void {
    this.#queue.push(write);
    this.#scheduleCommit();
  }

  #scheduleCommit(): void {
    if (this.#commitScheduled) return;
    this.#commitScheduled = true;
    // Every write of this task goes into one transaction.
    queueMicrotask(() => {
      this.#commitScheduled = false;
      const batch = this.#queue;
      this.#queue = [];
      this.#committing = this.#committing.then(() => this.#commit(batch));
    });
  }

  async #commit(batch: QueuedWrite[]): Promise<void> {
    const writes = batch.map((w) => ({
      doc: w.doc,
      delta: w.delta,
      outbox: w.receipt !== undefined,
    }));
    // Taken now, not when scheduled: acks that came while the previous commit ran ride along.
    const settled = this.#settled.splice(0);
    clearTimeout(this.#settleTimer);
    this.#settleTimer = undefined;
    if (writes.length === 0 && settled.length === 0) return;
    let ids: (number | undefined)[];
    try {
      ids = await this.#persistence.commit({ writes, settled });
    } catch (err) {
      const problem = err instanceof PersistenceError ? err.problem : 'unavailable';
      await this.#degrade(problem, (err as Error).message);
      try {
        ids = await this.#persistence.commit({ writes, settled });
      } catch (again) {
        for (const w of batch) w.receipt?.fail(again as Error);
        return;
      }
    }
    const pushes: OutboxItem[] = [];
    batch.forEach((w, i) => {
      const id = ids[i];
      if (w.receipt !== undefined && id !== undefined) {
        this.#maxOutboxId = Math.max(this.#maxOutboxId, id);
        const item: OutboxItem = { id, doc: w.doc, delta: w.delta, receipt: w.receipt };
        this.#outbox.set(id, item);
        pushes.push(item);
        w.receipt.reach('local');
        // Published only now that it is durable: a dot never leaves before its delta is stored.
        this.#channel?.postMessage({ doc: w.doc, delta: w.delta });
      }
      const open = this.#docs.get(w.doc);
      if (open) open.doc.storedSinceSnapshot++;
    });
    this.#publishPending();
    this.#push(pushes);
    for (const doc of new Set(batch.map((w) => w.doc))) void this.#maybeCompact(doc);
  }

  #push(items: readonly OutboxItem[]): void {
    for (let i = 0; i < items.length; i += PUSH_BATCH) {
      const entries = items
        .slice(i, i + PUSH_BATCH)
        .map(({ id, doc, delta }) => ({ id, doc, delta }));
      if (!this.#connection.send({ kind: 'push', entries })) return; // re-sent on reconnect
    }
  }

  async #maybeCompact(id: string): Promise<void> {
    const open = this.#docs.get(id);
    if (!open || open.doc.storedSinceSnapshot < (this.#options.compactEvery ?? 500)) return;
    open.doc.storedSinceSnapshot = 0;
    const type = open.doc.type;
    await this.#persistence
      .compact(id, (stored) => {
        const state = stored.snapshot ? type.decode(stored.snapshot) : type.empty();
        for (const delta of stored.deltas) type.merge(state, type.decode(delta));
        return type.encode(state);
      })
      .catch(() => {
        // Compaction is an optimisation: the deltas stay, and the next attempt retries.
      });
  }

  /** Switches to memory when IndexedDB fails; a lost connection is reopened first. */
  #degrade(problem: StorageProblem, message: string): Promise<void> {
    // One at a time: a failing commit and IndexedDB's own event often report the same failure.
    this.#degrading ??= this.#switchStorage(problem, message).finally(() => {
      this.#degrading = undefined;
    });
    return this.#degrading;
  }

  async #switchStorage(problem: StorageProblem, message: string): Promise<void> {
    if (this.#persistence?.kind !== 'indexeddb' || this.#closed) return;
    const failed = this.#persistence;
    if (problem === 'connection-lost') {
      try {
        this.#persistence = await IdbPersistence.open(
          this.#dbName,
          (p) => void this.#degrade(p, 'IndexedDB went away'),
        );
        this.#setStatus({ storage: { kind: 'indexeddb' } });
        return;
      } catch {
        // fall through to memory
      }
    }
    failed.close();
    // Pending writes keep their outbox ids: new ones must not reuse them.
    this.#persistence = new MemoryPersistence(undefined, {
      outboxIdsAbove: () => this.#maxOutboxId,
    });
    const storage: StorageStatus = { kind: 'memory', problem, message };
    this.#setStatus({ storage });
    this.#renewReplica();
  }

  /**
   * Documents opened after a fallback to memory start empty: their history, with the dots
   * this replica already minted in them, is in IndexedDB, out of reach. Minting on under the
   * same id would reuse those dots, so from now on this client writes as a fresh replica. The
   * old id stays announced to relays for the writes still in the outbox.
   */
  #renewReplica(): void {
    const slot = this.#slot;
    if (!slot || !this.#clock) return;
    const replica = newReplicaId();
    const clock = new HybridLogicalClock({ replica, offsetMs: this.#clock.offsetMs });
    try {
      clock.receive(this.#clock.now()); // later LWW writes must still beat earlier ones
    } catch {
      // the old clock cannot be ahead of ours beyond the drift bound; nothing to carry over
    }
    this.#slot = { index: slot.index, replica, release: slot.release };
    this.#clock = clock;
    this.#replicas = [replica, ...this.#replicas].slice(0, MAX_HANDSHAKE_REPLICAS);
    this.#connection.reconnect(); // a relay learns a connection's replica ids at the handshake
  }

  // ─── the network ─────────────────────────────────────────────────────────────────────────

  #welcomed(welcome: Welcome, url: string, rttMs: number): void {
    // The relay's clock at our "now" is its reading plus half the round trip.
    const offset = welcome.time + rttMs / 2 - Date.now();
    this.#clock?.setOffset(offset);
    void this.#persistence?.setMeta('clockOffsetMs', offset).catch(() => {});
    this.#setStatus({ region: welcome.region, relay: url });
    if (this.#refusal?.relay === url && this.#status.value.lastError === this.#refusal) {
      this.#setStatus({ lastError: null });
    }
    this.#retryDelay = RETRY_MIN_MS;
    // A new connection: its deltas are in causal order only after each document's sync reply.
    for (const gate of this.#gates.values()) gate.synced = false;
    this.#subscribe([...this.#docs.values()].map((o) => o.doc).filter((d) => d.isLoaded));
    this.#push([...this.#outbox.values()]);
  }

  #subscribe(docs: readonly ClientDocument<unknown, unknown>[]): void {
    if (docs.length === 0) return;
    this.#connection.send({
      kind: 'subscribe',
      docs: docs.map((d) => ({
        doc: d.id,
        type: d.type.encode(d.type.empty()),
        digest: d.type.digest(d.state),
      })),
    });
  }

  #received(message: Message): void {
    switch (message.kind) {
      case 'sync':
      case 'delta': {
        const open = this.#docs.get(message.doc);
        if (!open?.doc.isLoaded) return;
        const doc = open.doc;
        const delta = this.#decode(doc, message.delta);
        if (!delta) return;
        const incoming: Incoming = { delta, bytes: message.delta, fromRelay: true };
        const gate = this.#gateOf(doc);
        if (message.kind === 'delta' && !gate.synced) {
          // Before this connection's sync reply the relay's deltas may race it: held if early.
          this.#offer(doc, incoming);
          return;
        }
        // A sync reply is a state; the relay's deltas after it come in causal order (CausalGate).
        this.#mergeIncoming(doc, incoming);
        if (message.kind === 'sync') gate.synced = true;
        this.#releaseHeld(doc, message.kind === 'sync' ? undefined : delta);
        return;
      }
      case 'ack':
        this.#acknowledged(message.ids);
        return;
      case 'replicated': {
        const waiting = this.#awaitingGlobal.get(message.doc);
        if (!waiting) return;
        const still = waiting.filter((r) => {
          if (r.dot && message.dots.contains(r.dot)) {
            r.reach('global');
            return false;
          }
          return true;
        });
        if (still.length > 0) this.#awaitingGlobal.set(message.doc, still);
        else this.#awaitingGlobal.delete(message.doc);
        return;
      }
      case 'error': {
        this.#setStatus({
          lastError: {
            code: message.code,
            message: message.message,
            ...(message.doc ? { doc: message.doc } : {}),
          },
        });
        if (message.push === undefined) return;
        if (TRANSIENT.has(message.code)) {
          this.#retryLater(message.push);
          return;
        }
        // Refused for good (validation, rights, type): it stays local; its receipt says why.
        const item = this.#outbox.get(message.push);
        if (!item) return;
        this.#outbox.delete(message.push);
        item.receipt?.fail(new RefusedWriteError(message.code, item.doc, message.message));
        this.#settle([message.push]);
        this.#publishPending();
        return;
      }
      default:
        return;
    }
  }

  /** Pushes a transiently refused write again after a while (with its fellows, once). */
  #retryLater(id: number): void {
    if (!this.#outbox.has(id) || this.#closed) return;
    this.#retrying.add(id);
    if (this.#retryTimer !== undefined) return;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      const items = [...this.#retrying].flatMap((i) => this.#outbox.get(i) ?? []);
      this.#retrying.clear();
      this.#push(items);
    }, this.#retryDelay);
    this.#retryDelay = Math.min(RETRY_MAX_MS, this.#retryDelay * 2);
  }

  #acknowledged(ids: readonly number[]): void {
    const done: number[] = [];
    for (const id of ids) {
      const item = this.#outbox.get(id);
      if (!item) continue;
      this.#outbox.delete(id);
      done.push(id);
      const receipt = item.receipt;
      if (receipt) {
        receipt.reach('relay');
        if (receipt.dot && receipt.level !== 'global') {
          const list = this.#awaitingGlobal.get(item.doc) ?? [];
          list.push(receipt);
          this.#awaitingGlobal.set(item.doc, list);
        }
      }
    }
    if (done.length === 0) return;
    this.#settle(done);
    this.#setStatus({ lastAckAt: Date.now() });
    this.#publishPending();
  }

  /**
   * Deletes settled entries from the stored outbox with the next commit, in its transaction,
   * rather than in one of their own that the next commit would queue behind; without a commit
   * soon, an empty one deletes them. Until then a restart pushes them again, which is harmless:
   * the relay acknowledges a duplicate without applying it twice.
   */
  #settle(ids: readonly number[]): void {
    this.#settled.push(...ids);
    this.#settleTimer ??= setTimeout(() => {
      this.#settleTimer = undefined;
      this.#scheduleCommit();
    }, SETTLE_WITHIN_MS);
  }

  /** Decodes a delta for `doc`; undecodable bytes are reported and give undefined. */
  #decode(
    doc: ClientDocument<unknown, unknown>,
    bytes: Uint8Array,
  ): CrdtState<unknown> | undefined {
    try {
      return doc.type.decode(bytes);
    } catch (err) {
      const code = err instanceof DecodeError ? `decode/${err.code}` : 'merge-failed';
      this.#setStatus({ lastError: { code, message: (err as Error).message, doc: doc.id } });
      return undefined;
    }
  }

  /**
   * Merges a delta into a document. Returns whether it is worth storing: it brought a dot the
   * document had not seen, or changed its store. Dots alone do not tell: a delta of known dots
   * can still remove an entry (a relay's sync reply after the relay took in deltas out of
   * order, typically). False for a relay's copy of our own or another tab's write, and for an
   * empty sync reply.
   */
  #mergeQuietly(doc: ClientDocument<unknown, unknown>, delta: CrdtState<unknown>): boolean {
    try {
      const known = doc.state.context.includes(delta.context);
      return doc.apply(delta) || !known;
    } catch (err) {
      this.#setStatus({
        lastError: { code: 'merge-failed', message: (err as Error).message, doc: doc.id },
      });
      return false;
    }
  }

  /**
   * Merges a delta that may be merged now. A relay sends our own writes, and those of this
   * profile's other tabs (which stored them in this database before sharing them), back to us:
   * those are not stored again, and neither are other tabs' writes.
   */
  #mergeIncoming(doc: ClientDocument<unknown, unknown>, incoming: Incoming): void {
    if (this.#mergeQuietly(doc, incoming.delta) && incoming.fromRelay) {
      this.#enqueue({ doc: doc.id, delta: incoming.bytes, receipt: undefined });
    }
  }

  #gateOf(doc: ClientDocument<unknown, unknown>): CausalGate {
    let gate = this.#gates.get(doc.id);
    if (gate === undefined) {
      gate = new CausalGate(() => doc.state.context);
      this.#gates.set(doc.id, gate);
    }
    return gate;
  }

  /**
   * A delta that may arrive before a write it replaces: merged if it is causally ready (with the
   * held deltas it makes ready), else held until it is, or until a repair covers it.
   */
  #offer(doc: ClientDocument<unknown, unknown>, incoming: Incoming): void {
    const gate = this.#gateOf(doc);
    const { ready, overflow } = gate.buffer.add(incoming, Date.now());
    for (const r of ready) this.#mergeIncoming(doc, r);
    if (overflow) {
      // Too much is waiting: what is held (and this one) comes back with the repair.
      gate.buffer.clear();
      void this.#repair(doc, gate, true);
    }
    this.#watchHeld(doc, gate);
  }

  /** Merges the held deltas that what was just merged (`grown`; a whole state: all) made ready. */
  #releaseHeld(doc: ClientDocument<unknown, unknown>, grown: CrdtState<unknown> | undefined): void {
    const gate = this.#gates.get(doc.id);
    if (!gate || gate.buffer.size === 0) return;
    for (const r of gate.buffer.release(grown?.context)) this.#mergeIncoming(doc, r);
    this.#watchHeld(doc, gate);
  }

  /** Repairs the document when its oldest held delta has waited too long. */
  #watchHeld(doc: ClientDocument<unknown, unknown>, gate: CausalGate): void {
    if (gate.buffer.size === 0 || this.#closed) {
      gate.settle();
      return;
    }
    if (gate.timer !== undefined) return;
    const since = gate.buffer.heldSince ?? Date.now();
    gate.timer = setTimeout(
      () => {
        gate.timer = undefined;
        if (gate.buffer.size === 0 || this.#closed) {
          gate.settle();
          return;
        }
        if (Date.now() - (gate.buffer.heldSince ?? Date.now()) < gate.delay) {
          this.#watchHeld(doc, gate); // what waited was released; a newer one waits now
          return;
        }
        gate.delay = Math.min(HOLD_MAX_MS, gate.delay * 2);
        void this.#repair(doc, gate).finally(() => this.#watchHeld(doc, gate));
      },
      Math.max(0, since + gate.delay - Date.now()),
    );
  }

  /**
   * Brings a document whatever its held deltas wait for, as whole states: what this profile's
   * tabs stored (another tab's write waits for what that tab had merged, which it stored
   * first), then, when connected, a new sync reply from the relay. Each releases what it covers.
   * After an overflow (`dropped`), the relay's reply also brings back what was dropped.
   */
  async #repair(
    doc: ClientDocument<unknown, unknown>,
    gate: CausalGate,
    dropped = false,
  ): Promise<void> {
    try {
      const stored = await this.#persistence.load(doc.id);
      const state = stored.snapshot ? doc.type.decode(stored.snapshot) : doc.type.empty();
      for (const delta of stored.deltas) doc.type.merge(state, doc.type.decode(delta));
      if (this.#closed) return;
      this.#mergeQuietly(doc, state);
      this.#releaseHeld(doc, undefined);
    } catch {
      // Storage is not readable: the relay's reply below still repairs.
    }
    // Not connected: the next connection subscribes anyway.
    if ((dropped || gate.buffer.size > 0) && this.#connection.connected) this.#subscribe([doc]);
  }

  #fromOtherTab(id: string, bytes: Uint8Array): void {
    const open = this.#docs.get(id);
    if (!open) return;
    if (!open.doc.isLoaded) {
      // Loading may have read storage before the other tab committed: apply after loading.
      const early = this.#early.get(id) ?? [];
      early.push(bytes);
      this.#early.set(id, early);
      return;
    }
    const delta = this.#decode(open.doc, bytes);
    if (delta) this.#offer(open.doc, { delta, bytes, fromRelay: false });
  }

  // ─── status, flushing, shutdown ──────────────────────────────────────────────────────────

  #setStatus(patch: Partial<ClientStatus>): void {
    this.#status.next({ ...this.#status.value, ...patch });
  }

  #publishPending(): void {
    const pending: Record<string, number> = {};
    for (const item of this.#outbox.values()) pending[item.doc] = (pending[item.doc] ?? 0) + 1;
    this.#setStatus({ pending, pendingTotal: this.#outbox.size });
  }

  /** Goes offline (writes keep working and wait in the outbox) or back online. */
  setOnline(online: boolean): void {
    this.#wantOnline = online;
    // A connection made before start-up ends would announce no replica id, and the relay would
    // refuse every push on it: start-up connects once it is done.
    if (this.#started) this.#connection.setOnline(online);
    else this.#setStatus({ connection: online ? 'connecting' : 'offline' });
  }

  /**
   * Resolves when every write made so far is durable locally (`local`, the default) or also
   * acknowledged by a relay (`relay`; waits for a connection).
   */
  async flush(level: 'local' | 'relay' = 'local'): Promise<void> {
    await this.ready;
    // Writes made before their document loaded are applied once it has: they count too.
    await Promise.all([...this.#docs.values()].map((open) => open.doc.loaded));
    await new Promise<void>((r) => queueMicrotask(r));
    await this.#committing;
    if (level === 'local' || this.#outbox.size === 0) return;
    await new Promise<void>((resolve) => {
      const sub = this.#status.subscribe((s) => {
        if (s.pendingTotal === 0) {
          queueMicrotask(() => sub.unsubscribe());
          resolve();
        }
      });
    });
  }

  /** Flushes local writes, then closes the connection, the tab channel and the database. */
  async close(): Promise<void> {
    if (this.#closed) return;
    if (this.#settled.length > 0) this.#scheduleCommit(); // flush waits for that commit too
    await this.flush('local').catch(() => {});
    this.#closed = true;
    clearTimeout(this.#retryTimer);
    clearTimeout(this.#settleTimer);
    for (const gate of this.#gates.values()) gate.settle();
    this.#connection.close();
    this.#channel?.close();
    this.#slot?.release();
    this.#persistence?.close();
    this.#setStatus({ connection: 'offline' });
    this.#status.complete();
  }
}

/** Creates a client and starts it: storage opens, a replica slot is taken, the relay dialled. */
export function createClient(options: ClientOptions): HeliosClient {
  return new HeliosClient(options);
}
