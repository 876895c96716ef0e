import type { AnyCrdtType, ClockedActor, CrdtState, Value } from '@helios/core';
import type { Message, ReplicaEpochs, Welcome } from '@helios/core/protocol';
import { SocketIoTransport } from '@helios/transport';
import { BehaviorSubject, type Observable } from 'rxjs';
import type { ClientDocument } from './client-document.js';
import { ClientError } from './client-error.js';
import type { ClientEvents } from './client-events.js';
import { ClientObserver } from './client-observer.js';
import { ClientStorage } from './client-storage.js';
import { type Clock, systemClock } from './clock.js';
import { CommitPipeline } from './commit-pipeline.js';
import { DocumentRegistry } from './document-registry.js';
import { DocumentShortcuts } from './document-shortcuts.js';
import { type DocumentSnapshot, snapshotsOf } from './document-snapshot.js';
import { type HandleOf, handleClassOf } from './handle-table.js';
import type { Writer } from './handles.js';
import type { ClientOptions } from './options.js';
import { Outbox } from './outbox.js';
import { onPageHidden } from './page-hidden.js';
import type { ClientPersistence, OutboxEntry } from './persistence/persistence.js';
import { ClientPresence } from './presence.js';
import type { PresenceHandle } from './presence-handle.js';
import { Receipt } from './receipt.js';
import { RelayConnection } from './relay-connection.js';
import { dispatchRelayMessage } from './relay-messages.js';
import { ReplicaIdentity } from './replica-identity.js';
import { type ClientRights, RightsRequests } from './rights-requests.js';
import { type ClientStatus, initialStatus } from './status.js';
import { SyncSession } from './sync-session.js';
import { type TabHostParts, tabHost } from './tab-stand-in.js';
import { TabSync } from './tab-sync.js';
import { writeWhenLoaded } from './write-trail.js';

/**
 * The Helios client. Create one per app with {@link createClient}; open documents through its
 * typed handles.
 *
 * It is a facade over parts that each do one thing: `ClientStorage` (IndexedDB and the
 * fallback to memory), `ReplicaIdentity` (who it writes as), `DocumentRegistry` (the open
 * documents and their handles), `CommitPipeline` (making writes durable), `Outbox` (writes
 * waiting for a relay), `RelayConnection` (which relay, over the {@link ClientOptions.transport}),
 * `SyncSession` (merging what relays and other tabs send) and `TabSync` (sharing with other tabs).
 */
export class HeliosClient extends DocumentShortcuts implements Writer {
  readonly #options: ClientOptions;
  readonly #clock: Clock;
  readonly #status: BehaviorSubject<ClientStatus>;
  readonly #storage: ClientStorage;
  readonly #documents: DocumentRegistry;
  readonly #outbox: Outbox;
  readonly #pipeline: CommitPipeline;
  readonly #connection: RelayConnection;
  readonly #session: SyncSession;
  readonly #tabs: TabSync | undefined;
  readonly #rights: RightsRequests;
  readonly #presence: ClientPresence;
  readonly #observer: ClientObserver;
  /** What happens to writes, the connection and merges, as typed events (devtools, logs). */
  readonly events: ClientEvents;
  /** Bounded-counter rights drawn from the relay, for handles (see `BoundedCounterHandle`). */
  readonly rights: ClientRights;
  #identity: ReplicaIdentity | undefined;
  /** Whether the app wants a connection; applied once start-up has a replica id to announce. */
  #wantOnline: boolean;
  #started = false;
  #closed = false;
  /** The last handshake refusal, shown as `lastError` until that relay admits us. */
  #refusal: ClientStatus['lastError'] = null;
  /** Resolves when local storage is open and a replica slot is held. */
  readonly ready: Promise<void>;
  /** Stops settling the outbox when the page hides (see the constructor). */
  readonly #offPageHidden: () => void;
  /**
   * Resolves when documents may be read: storage is open and this tab holds its replica slot's
   * lock (a read begun before could miss the last holder's final commits, see
   * `acquireReplicaSlot`), or start-up failed. The slot's id and the outbox are read meanwhile:
   * a large document's first value need not wait for those.
   */
  readonly #readable: Promise<unknown>;

  constructor(options: ClientOptions) {
    super();
    this.#options = options;
    const dbName = options.dbName ?? 'helios';
    const clock = options.clock ?? systemClock;
    this.#clock = clock;
    this.#wantOnline = !options.offline;
    this.#status = new BehaviorSubject(initialStatus(options.offline ?? false));
    // Storage opens, and the replica slot's lock is claimed, before the rest is built: the
    // browser does both meanwhile. Their callbacks reach the parts below only once awaited.
    this.#storage = new ClientStorage({
      dbName,
      durability: options.localDurability ?? 'relaxed',
      wanted: options.persistence,
      onStatus: (storage) => this.#setStatus({ storage }),
      outboxIdsAbove: () => this.#outbox.maxId,
      onFallback: () => this.#renewReplica(),
    });
    const opening = this.#storage.open();
    let locked!: () => void;
    const slotLocked = new Promise<void>((resolve) => {
      locked = resolve;
    });
    this.ready = this.#start(dbName, opening, locked);
    // A failed start-up is ready's to report: documents then load from what storage gives.
    this.#readable = Promise.race([slotLocked, this.ready.catch(() => {})]);
    const isClosed = () => this.#closed;
    this.#observer = new ClientObserver({
      clock,
      homeRegion: () => this.#status.value.region,
      unacknowledged: (doc) => this.#outbox.unacknowledgedDots(doc),
    });
    this.events = this.#observer.log;
    this.#connection = new RelayConnection({
      transport: options.transport ?? new SocketIoTransport(),
      clock,
      relays: options.relays,
      token: async () => {
        const token = options.auth?.token;
        return typeof token === 'function' ? token() : token;
      },
      replicas: () => this.#identity?.replicas ?? [],
      ...(options.homeProbeMs !== undefined ? { homeProbeMs: options.homeProbeMs } : {}),
      ...(options.regionTrail ? { regionTrail: true } : {}),
      onWelcome: (welcome, url, rtt) => this.#welcomed(welcome, url, rtt),
      onMessage: (message) => this.#received(message),
      onState: (connection, relay) => {
        this.#observer.state(connection, relay);
        this.#setStatus({ connection, relay });
      },
      onRefused: ({ code, message, retiredBelow }, relay) => {
        if (code === 'replica-retired') this.#identity?.retired(retiredBelow).catch(() => {});
        this.#observer.refused(code, message, relay);
        this.#refusal = { code, message, relay };
        this.#setStatus({ lastError: this.#refusal });
      },
    });
    this.#outbox = new Outbox({
      clock,
      push: (items) => this.#connection.push(items),
      commitSoon: () => this.#pipeline.schedule(true),
      onPending: (pending, pendingTotal) => {
        this.#observer.outbox(pendingTotal);
        this.#setStatus({ pending, pendingTotal });
      },
      onAcknowledged: (lastAckAt) => this.#setStatus({ lastAckAt }),
    });
    this.#documents = new DocumentRegistry({
      writer: this,
      isClosed,
      onOpen: (doc) => void this.#session.load(doc),
    });
    this.#session = new SyncSession({
      clock,
      documents: this.#documents,
      storage: this.#storage,
      connection: this.#connection,
      readable: () => this.#readable,
      ready: () => this.ready,
      store: (write) => this.#pipeline.enqueue(write),
      onError: (lastError) => this.#setStatus({ lastError }),
      lost: async () => {
        await this.#identity?.renewAfterLoss();
        this.#connection.reconnect(); // a relay learns a connection's replica ids at the handshake
      },
      isClosed,
      merged: this.#observer.merged,
    });
    const send = (message: Message) => this.#connection.send(message);
    this.#presence = new ClientPresence({ clock, send, status$: this.#status });
    this.#rights = this.rights = new RightsRequests({
      clock,
      client: this,
      send,
      merge: (doc, delta) => this.#session.received({ kind: 'delta', doc, delta }),
    });
    const [storage, documents, session] = [this.#storage, this.#documents, this.#session];
    const commit: TabHostParts['commit'] = (write) => this.#pipeline.commitNow(write);
    const host = tabHost({ storage, documents, session, trail: this.#observer.trail, commit });
    this.#tabs = TabSync.open(dbName, options.tabSync, host);
    this.#pipeline = new CommitPipeline({
      storage: this.#storage,
      outbox: this.#outbox,
      tabs: this.#tabs,
      documents: this.#documents,
      push: (items) => this.#connection.push(items),
      compactEvery: options.compactEvery ?? 500,
    });
    // Acknowledged writes leave the stored outbox a second after their ack; a reload before
    // that would show them pending again (until a relay acknowledges them once more).
    this.#offPageHidden = onPageHidden(() => {
      if (this.#outbox.hasSettled && this.#storage.opened) this.#pipeline.schedule(true);
    });
  }

  /** The replica id this client writes as (once `ready`). */
  get replica(): string | undefined {
    return this.#identity?.replica;
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

  /**
   * Opens document `id` as a CRDT of `type` and returns its typed handle (see {@link HandleOf});
   * the same handle every time for one id. Opening an id as another type throws `type-mismatch`.
   *
   * @typeParam E - The register's value, the map's values or the set's elements, where `type`
   * has them (default: any storable value).
   * @example
   * const likes = client.open('likes', PNCounter); // CounterHandle
   * const tags = client.open<typeof AWSet, 'red' | 'blue'>('tags', AWSet);
   * const seats = client.open('seats', Quantity); // QuantityHandle
   * const cart = client.open('cart', orMap(Quantity)); // CrdtMapHandle
   */
  override open<T extends AnyCrdtType, E extends Value = Value>(
    id: string,
    type: T,
  ): HandleOf<T, E> {
    return this.#documents.open(id, type, handleClassOf(type)) as HandleOf<T, E>;
  }

  /** Presence on document `id` (docs/presence.md): open the document too, for the relay to take it. */
  presence<S extends Value = Value>(id: string): PresenceHandle<S> {
    return this.#presence.handle<S>(id);
  }

  // ─── start-up ────────────────────────────────────────────────────────────────────────────

  async #start(
    dbName: string,
    opening: Promise<ClientPersistence>,
    onLocked: () => void,
  ): Promise<void> {
    let stored: Promise<OutboxEntry[]> = Promise.resolve([]);
    this.#identity = await ReplicaIdentity.acquire(
      dbName,
      opening,
      this.#options.maxReplicaSlots ?? 8,
      this.#clock,
      (persistence) => {
        onLocked();
        // Writes of earlier sessions (or of crashed tabs) that no relay acknowledged yet: read
        // alongside the slot's id rather than after it (see `ReplicaIdentity.acquire`).
        stored = persistence.outbox().catch(() => []);
      },
    );
    this.#tabs?.holdsSlot(this.#identity.slot);
    this.#outbox.restore(await stored);
    this.#started = true;
    if (this.#wantOnline) this.#connection.start();
  }

  /** After a fallback to memory: a fresh replica id, announced on a new connection. */
  #renewReplica(): void {
    if (!this.#identity) return;
    this.#identity.renew();
    this.#connection.reconnect(); // a relay learns a connection's replica ids at the handshake
  }

  /**
   * The relay named the deployment's replica epochs: a slot id of an older epoch (or a compact
   * one) is renewed to an id of the current epoch, announced on a new connection.
   */
  #adoptEpochs({ epoch, retiredBelow }: ReplicaEpochs): void {
    const reconnect = () => this.#connection.reconnect();
    // Storage failing to record the new id keeps the old one, which stays valid until retired:
    // the next welcome tries again.
    this.#identity?.adoptEpochs(epoch, retiredBelow, reconnect).catch(() => {});
  }

  // ─── the write path ──────────────────────────────────────────────────────────────────────

  /**
   * Applies a mutation at once (or as soon as the document is loaded), then makes it durable
   * locally (other tabs hear of it meanwhile, see `TabSync`) and pushes it to the relay.
   */
  write<S>(
    doc: ClientDocument<S, unknown>,
    mutate: (state: CrdtState<S>, actor: ClockedActor) => CrdtState<S>,
  ): Receipt {
    if (this.#closed) throw new ClientError('closed', 'this client is closed');
    if (!doc.isLoaded || !this.#identity) {
      const until = Promise.all([doc.loaded, this.ready]);
      return writeWhenLoaded(doc.id, until, () => this.write(doc, mutate));
    }
    const actor = this.#identity.actor();
    const next = doc.state.context.next(actor.replica);
    const delta = mutate(doc.state, actor); // throws on bad input, before anything changes
    const dot = delta.context.has(next.replica, next.seq) ? next : undefined;
    const receipt = new Receipt(doc.id, dot, this.#observer.trail.observe);
    doc.apply(delta);
    this.#observer.trail.pending(receipt);
    const after = this.#tabs?.barrier(doc.id); // other tabs' writes it may replace
    this.#pipeline.enqueue({ doc: doc.id, delta: doc.type.encode(delta), receipt, after });
    return receipt;
  }

  // ─── the network ─────────────────────────────────────────────────────────────────────────

  #welcomed(welcome: Welcome, url: string, rttMs: number): void {
    // The relay's clock at our "now" is its reading plus half the round trip.
    const offset = welcome.time + rttMs / 2 - this.#clock.now();
    this.#identity?.setOffset(offset);
    void this.#storage.opened?.setMeta('clockOffsetMs', offset).catch(() => {});
    this.#setStatus({ region: welcome.region, relay: url });
    this.#observer.welcomed(url, welcome.region);
    if (this.#refusal?.relay === url && this.#status.value.lastError === this.#refusal) {
      this.#setStatus({ lastError: null });
    }
    this.#outbox.resetBackoff();
    this.#session.connected();
    this.#connection.push(this.#outbox.items());
  }

  #received(message: Message): void {
    const [session, outbox, rights, presence] = [
      this.#session,
      this.#outbox,
      this.#rights,
      this.#presence,
    ];
    const setError = (lastError: ClientStatus['lastError']) => this.#setStatus({ lastError });
    const epochs = (e: ReplicaEpochs) => this.#adoptEpochs(e);
    dispatchRelayMessage(message, { session, outbox, rights, presence, setError, epochs });
  }

  /** Every open document as devtools show it: type, JSON value, causal context. */
  inspect(): readonly DocumentSnapshot[] {
    return snapshotsOf(this.#documents.documents());
  }

  // ─── status, flushing, shutdown ──────────────────────────────────────────────────────────

  #setStatus(patch: Partial<ClientStatus>): void {
    this.#status.next({ ...this.#status.value, ...patch });
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
    await Promise.all(this.#documents.documents().map((doc) => doc.loaded));
    await new Promise<void>((r) => queueMicrotask(r));
    await this.#pipeline.idle;
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
    if (this.#outbox.hasSettled) this.#pipeline.schedule(true); // flush waits for it too
    await this.flush('local').catch(() => {});
    this.#closed = true;
    this.#offPageHidden();
    this.#outbox.close();
    this.#presence.close();
    this.#session.close();
    this.#connection.close();
    this.#tabs?.close();
    this.#identity?.release();
    this.#storage.close();
    this.#setStatus({ connection: 'offline' });
    this.#status.complete();
  }
}

/** Creates a client and starts it: storage opens, a replica slot is taken, the relay dialled. */
export function createClient(options: ClientOptions): HeliosClient {
  return new HeliosClient(options);
}
