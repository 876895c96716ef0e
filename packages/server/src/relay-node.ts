import { randomBytes, timingSafeEqual } from 'node:crypto';
import {
  createServer,
  type Server as HttpServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type AnyCrdtState,
  type AnyCrdtType,
  assertReplicaId,
  type CausalContext,
  causalReadiness,
  DEFAULT_DECODE_LIMITS,
  type DecodeLimits,
  type DocumentId,
  decodeState,
  type HelloAuth,
  PROTOCOL_VERSION,
  type ReplicaId,
  unseenDots,
} from '@helios/core';
import { type Logger, pino } from 'pino';
import { Server, type Socket } from 'socket.io';
import {
  type Authenticate,
  type Authorize,
  allowAll,
  anonymousAuthenticate,
  jwtAuthenticate,
  type RelayUser,
} from './auth.js';
import { ClientSession } from './client-session.js';
import { type CommitLane, CommitQueue } from './commit-queue.js';
import { DocumentCache, type RelayDocument } from './documents.js';
import { RelayError } from './errors.js';
import { FanOut } from './fan-out.js';
import { FeedStream } from './feed-stream.js';
import { LoopShare } from './loop-share.js';
import { RelayMetrics } from './metrics.js';
import { NodeLiveness } from './node-liveness.js';
import type { FeedPort, LinkPort, PeerWait, SessionPort } from './node-ports.js';
import { type ConnectionLimits, type RelayOptions, resolveLimits } from './options.js';
import { PeerLink } from './peer-link.js';
import { DEFAULT_DEPLOYMENT, redisChannelKey } from './redis-channels.js';
import { ReplicatedNotifier } from './replicated-notifier.js';
import type { NewChange, StoredChange } from './store/relay-store.js';
import { UserLimits, type UserSlot } from './user-limits.js';
import { EVENT, roomOf, send, socketParser } from './wire.js';
import { coalesceWrites } from './write-coalescing.js';

/** What a peer relay sends in the Socket.IO handshake instead of a {@link HelloAuth}. */
export interface PeerAuth {
  readonly protocol: number;
  readonly peer: string;
  readonly relayId: string;
  readonly token?: string;
}

/** Compares secrets in constant time, so response timing does not leak the peer token. */
function sameSecret(given: unknown, expected: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Cross-node messages (Redis adapter `serverSideEmit`) when a region runs several nodes. */
const NODE_CHANGES = 'helios:changes';
const NODE_PEER_ACK = 'helios:peer-ack';
/** A peer asked for the feed from a position, possibly lower than it acknowledged before. */
const NODE_PEER_REWIND = 'helios:peer-rewind';
/** A node's heartbeat (see {@link NodeLiveness}). */
const NODE_ALIVE = 'helios:alive';
/** A node's publishes may have been lost: the others catch up from the store. */
const NODE_CATCH_UP = 'helios:catch-up';

/**
 * A change as {@link NODE_CHANGES} carries it. The Redis adapter sends `serverSideEmit`
 * arguments as JSON, which turns bytes into `{type: 'Buffer', data}`: the delta goes as base64.
 */
interface NodeChange {
  readonly seq: number;
  readonly doc: DocumentId;
  readonly origin: string;
  readonly delta: string;
}

/**
 * Connections' work in one turn of the event loop before it reads its sockets again (ms): long
 * enough for large group commits under load, short enough that a new frame waits little.
 */
const WORK_TURN_MS = 15;
/**
 * The part of a turn bulk writers' work may use (ms): under a flood, the loop reads sockets and
 * store replies every few ms, so a person's write waits little for either.
 */
const BULK_TURN_MS = 5;
/**
 * The part of the time bulk writers' work may use while ordinary clients are active: the loop
 * is then idle at least half the time, so a person's write is mostly handled the moment it
 * arrives, instead of waiting behind bulk work, its store replies and its acks.
 */
const BULK_SHARE = 0.5;

/**
 * One relay node: the Socket.IO server, the documents it holds, the group-commit queue, and
 * the links to the other regions. Sessions, feed streams and peer links see it through the port
 * each needs (node-ports.ts), so none of them imports this module.
 */
export class RelayNode implements SessionPort, FeedPort, LinkPort {
  readonly region: string;
  readonly relayId: string;
  readonly metrics: RelayMetrics;
  readonly logger: Logger;
  readonly limits: ConnectionLimits;
  readonly decodeLimits: DecodeLimits;
  readonly now: () => number;
  readonly docs: DocumentCache;
  /** How the connections' work shares the event loop (see {@link LoopShare}). */
  readonly loopShare = new LoopShare({
    turnMs: WORK_TURN_MS,
    bulkTurnMs: BULK_TURN_MS,
    bulkShare: BULK_SHARE,
  });
  readonly io: Server;
  readonly http: HttpServer;
  readonly #options: RelayOptions;
  readonly #authenticate: Authenticate;
  readonly #authorize: Authorize;
  readonly #commits: CommitQueue;
  readonly #users: UserLimits;
  readonly #feeds = new Set<FeedStream>();
  readonly #links: PeerLink[] = [];
  readonly #peerAcks = new Map<string, number>();
  readonly #shared: boolean;
  /** The Redis adapter's channel prefix, set when several nodes share the region. */
  readonly #redisKey: string | undefined;
  /** Feed position up to which `replicated` was announced, and the one being announced. */
  #replicatedUpTo = 0;
  #replicatedTarget = 0;
  #releaseTarget = 0;
  #releaseTimer: ReturnType<typeof setTimeout> | undefined;
  readonly #peerRegions: readonly string[];
  readonly #replicated: ReplicatedNotifier;
  readonly #fanOut: FanOut;
  /** Replica id → owning user, as stored (bindings are permanent, so caching is safe). */
  readonly #replicaOwners = new Map<string, string>();
  #replicating: Promise<void> = Promise.resolve();
  #liveness: NodeLiveness | undefined;
  #catchingUp: Promise<void> = Promise.resolve();
  #closing = false;

  constructor(options: RelayOptions) {
    this.#options = options;
    this.region = options.region;
    this.relayId = options.relayId ?? `${options.region}-${randomBytes(4).toString('hex')}`;
    this.logger = options.logger ?? pino({ name: 'helios-relay', base: { region: this.region } });
    this.metrics = new RelayMetrics({ region: this.region });
    this.limits = resolveLimits(options.limits);
    this.decodeLimits = {
      ...DEFAULT_DECODE_LIMITS,
      maxBytes: this.limits.maxMessageBytes,
      ...options.decodeLimits,
    };
    this.now = options.now ?? Date.now;
    this.docs = new DocumentCache(options.store, this.decodeLimits, options.maxCachedDocuments);
    this.#commits = new CommitQueue(options.store, options.maxCommitBatch ?? 5000, (s, n) => {
      this.metrics.commitSeconds.observe(s);
      this.metrics.commitBatchSize.observe(n);
    });
    this.#users = new UserLimits(this.limits, this.now);
    this.#authenticate = this.#chooseAuthentication(options);
    // Authenticated users get only the access `authorize` grants, or every access if the operator
    // says so explicitly. Anonymous mode is open by definition (and has warned already).
    const authenticated = options.authenticate !== undefined || options.jwt !== undefined;
    if (options.authorize !== undefined && options.openAccess) {
      throw new Error(
        'pass `authorize` or `openAccess: true`, not both: they contradict each other',
      );
    }
    if (authenticated && options.authorize === undefined && !options.openAccess) {
      throw new Error(
        'the relay needs an `authorize` hook, or else every authenticated user could read and ' +
          'write every document: pass `authorize(user, doc, access)`, or `openAccess: true` ' +
          'to allow exactly that',
      );
    }
    this.#authorize = options.authorize ?? allowAll;
    if (authenticated && options.openAccess) {
      this.logger.warn(
        'OPEN ACCESS: no authorize hook; every authenticated user may read and write every ' +
          'document (openAccess)',
      );
    } else if (options.authorize === undefined) {
      this.logger.info(
        'no authorize hook: every connection may read and write every document (anonymous mode)',
      );
    }
    this.#shared = options.redisUrl !== undefined;
    // Checked here rather than in listen(), so a bad name fails at createRelay.
    this.#redisKey = this.#shared
      ? redisChannelKey(options.deployment ?? DEFAULT_DEPLOYMENT, this.region)
      : undefined;
    this.#peerRegions = (options.peers ?? []).map((p) => p.region);
    // Each node sends deltas to its own sockets only: with several nodes, the others hear of a
    // commit in one NODE_CHANGES notice, merge it and fan it out themselves, so a node's memory
    // and its subscribers gain a delta together (or, the notice lost, catch up together).
    this.#fanOut = new FanOut((doc, delta, except) => {
      const room = this.io.local.to(roomOf(doc.id));
      const target = except ? room.except(except) : room;
      this.metrics.bytesOut.inc(send(target, { kind: 'delta', doc: doc.id, delta }));
    });
    this.#replicated = new ReplicatedNotifier((doc, dots) => {
      this.docs.peek(doc)?.replicated.join(dots);
      const writers = this.#writersAmong(doc, dots);
      if (writers.length === 0) return;
      this.metrics.bytesOut.inc(send(this.io.local.to(writers), { kind: 'replicated', doc, dots }));
    });

    this.http = createServer((req, res) => void this.#serveHttp(req, res));
    const origins = options.corsOrigins;
    this.io = new Server(this.http, {
      // A frame of maxMessageBytes travels as one WebSocket message with the parser's marker byte.
      maxHttpBufferSize: this.limits.maxMessageBytes + 1,
      cors: origins === '*' ? { origin: true } : { origin: origins ? [...origins] : false },
      // CORS covers HTTP long-polling only; a browser's WebSocket upgrade is checked here. A
      // request without an Origin header does not come from a browser page (Node clients, peers).
      allowRequest: (req, callback) => {
        const origin = req.headers.origin;
        callback(
          null,
          origin === undefined || origins === '*' || (origins?.includes(origin) ?? false),
        );
      },
      serveClient: false,
      parser: socketParser,
      pingInterval: 10_000,
      pingTimeout: 10_000,
    });
    this.io.use((socket, next) => {
      this.#admit(socket).then(
        () => next(),
        (err: unknown) => {
          // Hooks may throw anything; a failure that is not a refusal (a store down) is not a
          // credentials problem either.
          const code = err instanceof RelayError ? err.code : 'unavailable';
          if (code === 'unavailable') this.logger.error({ err }, 'admitting a connection failed');
          const e = new Error(err instanceof Error ? err.message : 'refused') as Error & {
            data: unknown;
          };
          e.data = { code };
          this.metrics.refused.inc({ code });
          next(e);
        },
      );
    });
    this.io.on('connection', (socket) => this.#connected(socket));
  }

  #chooseAuthentication(options: RelayOptions): Authenticate {
    if (options.authenticate) return options.authenticate;
    if (options.jwt) return jwtAuthenticate(options.jwt);
    if (options.anonymous) {
      this.logger.warn('ANONYMOUS MODE: connections are not authenticated. Development only.');
      return anonymousAuthenticate;
    }
    throw new Error(
      'the relay needs authentication: pass `authenticate`, `jwt`, or `anonymous: true` for development',
    );
  }

  /** Handshake: protocol version, then either a peer relay or an authenticated client. */
  async #admit(socket: Socket): Promise<void> {
    if (this.#closing) throw new RelayError('unavailable', 'the relay is shutting down');
    const auth = (socket.handshake.auth ?? {}) as Partial<HelloAuth & PeerAuth>;
    if (auth.protocol !== PROTOCOL_VERSION) {
      throw new RelayError(
        'protocol-version',
        `this relay speaks protocol ${PROTOCOL_VERSION}, not ${String(auth.protocol)}`,
      );
    }
    if (typeof auth.peer === 'string') {
      const expected = this.#options.peerToken;
      if (expected !== undefined && !sameSecret(auth.token, expected)) {
        throw new RelayError('unauthenticated', 'wrong peer token');
      }
      if (expected === undefined && !this.#options.anonymous) {
        throw new RelayError('unauthenticated', 'peering needs a peer token');
      }
      socket.data.peer = auth.peer;
      return;
    }
    let user: RelayUser;
    try {
      user = await this.#authenticate({
        token: typeof auth.token === 'string' ? auth.token : undefined,
        headers: socket.handshake.headers,
        address: socket.handshake.address,
      });
    } catch (err) {
      // Whatever the hook throws is a refusal of these credentials.
      if (err instanceof RelayError) throw err;
      throw new RelayError('unauthenticated', err instanceof Error ? err.message : 'refused', {
        cause: err,
      });
    }
    const replicas = Array.isArray(auth.replicas) ? auth.replicas : [];
    if (replicas.length > 16)
      throw new RelayError('bad-hello', 'at most 16 replica ids per connection');
    for (const replica of replicas) {
      try {
        assertReplicaId(replica);
      } catch {
        throw new RelayError(
          'bad-hello',
          'replica ids are non-empty strings of up to 64 characters',
        );
      }
    }
    // In anonymous mode everyone is the user `anonymous`: each connection counts as its own.
    const limitsOf =
      this.#authenticate === anonymousAuthenticate ? `${user.id}:${socket.id}` : user.id;
    const unclaimed = replicas.filter((r) => !this.#replicaOwners.has(r)).length;
    const slot = this.#users.connect(limitsOf, unclaimed);
    // Also when the connection closes before it is set up (Socket.IO then emits no connection).
    socket.conn.once('close', () => slot.release());
    try {
      for (const replica of replicas) {
        // Bindings never change once made: remember them, so a reconnect costs no durable write.
        let owner = this.#replicaOwners.get(replica);
        if (owner === undefined) {
          owner = await this.#options.store.claimReplica(replica, user.id);
          if (this.#replicaOwners.size >= 100_000) this.#replicaOwners.clear(); // bound the memory
          this.#replicaOwners.set(replica, owner);
        }
        if (owner !== user.id) {
          throw new RelayError('replica-owned', `replica ${replica} belongs to another user`);
        }
      }
    } catch (err) {
      slot.release();
      throw err;
    }
    socket.data.user = user;
    socket.data.replicas = new Set(replicas);
    socket.data.slot = slot;
  }

  #connected(socket: Socket): void {
    coalesceWrites(socket);
    send(socket, {
      kind: 'welcome',
      protocol: PROTOCOL_VERSION,
      region: this.region,
      relayId: this.relayId,
      time: this.now(),
      limits: {
        maxMessageBytes: this.limits.maxMessageBytes,
        maxDeltasPerSecond: this.limits.maxDeltasPerSecond,
        maxDriftMs: this.limits.maxDriftMs,
      },
      // Peers key their cursor into our feed by it; clients have no use for it.
      ...(typeof socket.data.peer === 'string' ? { epoch: this.#options.store.epoch } : {}),
    });
    if (typeof socket.data.peer === 'string') {
      const feed = new FeedStream(this, socket, socket.data.peer as string, this.#options.store);
      this.#feeds.add(feed);
      socket.on('disconnect', () => this.#feeds.delete(feed));
      return;
    }
    this.metrics.connections.inc();
    new ClientSession(
      this,
      socket,
      socket.data.user as RelayUser,
      socket.data.replicas as Set<ReplicaId>,
      socket.data.slot as UserSlot,
    );
  }

  /**
   * Subscribers of `doc` on this node whose connection is bound to a replica with a dot in
   * `dots`. A `replicated` message only tells a client about its own writes (it waits for the
   * dots they minted), so the other subscribers are not sent it: a document's readers cost no
   * announcement per commit.
   */
  #writersAmong(doc: DocumentId, dots: CausalContext): string[] {
    const writers: string[] = [];
    for (const id of this.io.sockets.adapter.rooms.get(roomOf(doc)) ?? []) {
      const replicas = this.io.sockets.sockets.get(id)?.data.replicas as
        | ReadonlySet<ReplicaId>
        | undefined;
      if (replicas === undefined) continue;
      for (const replica of replicas) {
        if (dots.max(replica) > 0) {
          writers.push(id);
          break;
        }
      }
    }
    return writers;
  }

  authorize(user: RelayUser, doc: string, access: 'read' | 'write'): Promise<boolean> | boolean {
    return this.#authorize(user, doc, access);
  }

  /** The document, created with `type` if it does not exist yet. */
  async documentFor(id: DocumentId, type: AnyCrdtType): Promise<RelayDocument> {
    return this.docs.getOrCreate(id, type);
  }

  /**
   * With several nodes per region, another node may have committed changes this node missed:
   * reload the document when the store is ahead of it.
   */
  async refresh(doc: RelayDocument): Promise<void> {
    // With several nodes, `lastSeq` only moves on reads of the store (see #committed), so a
    // document created here (lastSeq 0) may still have been committed to by another node.
    if (!this.#shared) return;
    const last = await this.#options.store.lastSeq(doc.id);
    if (last <= doc.lastSeq) return;
    const stored = await this.#options.store.load(doc.id);
    if (stored === undefined) return;
    // Another node's snapshot may cover changes this node never merged (and that are gone).
    if (stored.snapshot !== null && stored.snapshotSeq > doc.lastSeq) {
      this.#mergeBytes(doc, stored.snapshot);
    }
    for (const change of stored.changes) {
      if (change.seq > doc.lastSeq) this.#mergeBytes(doc, change.delta);
    }
    doc.lastSeq = Math.max(doc.lastSeq, last);
  }

  /** Whether bulk work should wait: the loop's turn is used up, or the bulk commits are behind. */
  get behind(): boolean {
    return this.loopShare.behind || this.#commits.bulkFull;
  }

  /**
   * When a bulk writer may take its next slice: `undefined` now, otherwise a promise of the
   * next turn of the loop or of room in the bulk commit lane.
   */
  bulkTurn(who: object): Promise<void> | undefined {
    return this.loopShare.turn(who, 'bulk') ?? this.#commits.room();
  }

  /**
   * The merge path of a validated client delta: join into the document (at once, so the
   * connection's next delta is validated against it), durable commit, then ack (by the
   * caller), fan-out to the document's subscribers and to the peer regions. `lane`: a bulk
   * writer's deltas commit in the bulk lane (see {@link CommitQueue}).
   */
  applyLocal(
    doc: RelayDocument,
    bytes: Uint8Array,
    delta: AnyCrdtState,
    originSocket: string,
    lane: CommitLane,
  ): Promise<number> {
    this.#merge(doc, delta);
    return this.#commits
      .commit({ changes: [{ doc: doc.id, delta: bytes, origin: this.region }] }, lane)
      .then(
        ([seq]) => {
          this.metrics.deltasMerged.inc({ type: doc.type.name, origin: this.region });
          // Without peers this region is every region: durable here is durable everywhere.
          if (this.#peerRegions.length === 0) this.#replicated.add(doc.id, delta.context);
          this.#committed(
            doc,
            [{ seq: seq!, doc: doc.id, delta: bytes, origin: this.region }],
            [delta],
            originSocket,
          );
          return seq!;
        },
        (err: unknown) => {
          // The in-memory state may now hold a delta the store does not: drop it, reload later.
          this.docs.evict(doc.id);
          this.logger.error({ err, doc: doc.id }, 'commit failed');
          throw new RelayError('unavailable', 'the relay could not store this delta; retry');
        },
      );
  }

  /**
   * A replayed client delta (every dot of it merged here already) is acknowledged without being
   * stored or sent on again, once the commits queued before it are durable: one of them holds
   * its dots, unless they came from the store. Its bytes go nowhere, so whatever a replay carries
   * for a superseded dot (whose content no receiver can check any more) reaches no one.
   */
  async confirmReplay(doc: RelayDocument): Promise<void> {
    await this.#commits.barrier();
    // A failed commit evicts its documents: then the dots may not be durable after all.
    if (this.docs.peek(doc.id) !== doc) {
      throw new RelayError('unavailable', 'the relay could not confirm this delta; retry');
    }
  }

  /**
   * Merges deltas (a feed batch, or a backfill page of whole states) from the region `peer`,
   * durably with the cursor that records them, if any: a backfill page but the last has none.
   *
   * A feed batch's entries are operations (one client push each, `ops`), merged only once they
   * are causally ready (docs/architecture.md §2.1). One that is not is held back, with every
   * later entry of its document (and of the documents in `ops.holding`), and returned; the
   * others are merged. The cursor then stops before the first held entry, so a restart asks for
   * it again. Entries whose seq is in `ops.force` are merged whatever they wait for.
   */
  async applyFromPeer(
    peer: string,
    entries: readonly (Pick<StoredChange, 'doc' | 'delta'> & { readonly seq?: number })[],
    cursor: { readonly peer: string; readonly upTo: number } | undefined,
    ops?: { readonly holding: ReadonlySet<DocumentId>; readonly force: ReadonlySet<number> },
  ): Promise<PeerWait[]> {
    const changes: NewChange[] = [];
    const decoded: AnyCrdtState[] = [];
    const held: PeerWait[] = [];
    const holding = new Set(ops?.holding);
    for (const entry of entries) {
      let type: AnyCrdtType;
      let state: AnyCrdtState;
      try {
        ({ type, state } = decodeState(entry.delta, this.decodeLimits));
      } catch (err) {
        this.logger.error({ err, peer, doc: entry.doc }, 'undecodable delta from a peer; skipped');
        continue;
      }
      const doc = await this.docs.getOrCreate(entry.doc, type);
      if (doc.type !== type) {
        this.logger.error({ peer, doc: entry.doc }, 'peer sent a delta of another type; skipped');
        continue;
      }
      // A dot's content is fixed where it is first merged. Clients cannot send a known dot with
      // other content (`dot-conflict`), so this is a writer that used one replica id in two
      // regions at once, or a broken peer: keep ours rather than let regions disagree silently.
      const conflict = doc.type.kind.findConflict(doc.state.store, state.store);
      if (conflict !== undefined) {
        this.metrics.dotConflicts.inc({ peer });
        this.logger.error(
          { peer, doc: entry.doc, dot: conflict },
          'peer sent a known dot with other content; skipped',
        );
        continue;
      }
      if (ops !== undefined && !ops.force.has(entry.seq ?? 0)) {
        const seq = entry.seq ?? 0;
        const wait = holding.has(entry.doc)
          ? {
              doc: entry.doc,
              seq,
              context: state.context,
              unseen: unseenDots(state.context, doc.state.context),
            }
          : await this.#unready(doc, entry.doc, seq, state.context);
        if (wait !== undefined) {
          held.push(wait);
          holding.add(entry.doc);
          continue;
        }
      }
      this.#merge(doc, state);
      changes.push({ doc: entry.doc, delta: entry.delta, origin: peer });
      decoded.push(state);
    }
    if (held.length > 0 && cursor !== undefined) {
      // The cursor stops before the first held entry, so a restart loses nothing.
      cursor = { ...cursor, upTo: Math.min(cursor.upTo, held[0]!.seq - 1) };
    }
    if (changes.length === 0 && cursor === undefined) return held;
    let seqs: number[];
    try {
      seqs = await this.#commits.commit(
        { changes, ...(cursor !== undefined ? { cursor } : {}) },
        'bulk',
      );
    } catch (err) {
      // Memory may now hold deltas the store does not: forget those documents, reload later.
      for (const change of changes) this.docs.evict(change.doc);
      throw err;
    }
    changes.forEach((change, i) => {
      const doc = this.docs.peek(change.doc);
      this.metrics.deltasMerged.inc({ type: doc?.type.name ?? 'unknown', origin: peer });
      if (doc) this.#committed(doc, [{ ...change, seq: seqs[i]! }], [decoded[i]!], undefined);
    });
    return held;
  }

  /**
   * Why a peer's operation cannot be merged into `doc` yet, or undefined if it can: it names
   * writes of other replicas this relay has not merged (`one-writer` readiness). With several
   * nodes, another node may have merged them: the document is refreshed before it waits.
   */
  async #unready(
    doc: RelayDocument,
    id: DocumentId,
    seq: number,
    context: CausalContext,
  ): Promise<PeerWait | undefined> {
    if (causalReadiness(context, doc.state.context, 'one-writer').ready) return undefined;
    await this.refresh(doc);
    const { ready, unseen } = causalReadiness(context, doc.state.context, 'one-writer');
    return ready ? undefined : { doc: id, seq, context, unseen };
  }

  #merge(doc: RelayDocument, delta: AnyCrdtState): void {
    const started = performance.now();
    doc.type.merge(doc.state, delta);
    this.metrics.mergeSeconds.observe((performance.now() - started) / 1000);
    const conflicts = doc.type.conflicts(doc.state.store, delta.store);
    if (conflicts > 0) this.metrics.conflicts.inc({ type: doc.type.name }, conflicts);
  }

  /** Merges an encoded change into `doc`; returns it decoded, or undefined if it was not. */
  #mergeBytes(doc: RelayDocument, bytes: Uint8Array): AnyCrdtState | undefined {
    try {
      const { type, state } = decodeState(bytes, this.decodeLimits);
      if (type !== doc.type) return undefined;
      doc.type.merge(doc.state, state);
      return state;
    } catch (err) {
      this.logger.error({ err, doc: doc.id }, 'undecodable stored change; skipped');
      return undefined;
    }
  }

  /** After a commit: fan out, feed the peers, compact, tell other nodes. */
  #committed(
    doc: RelayDocument,
    changes: readonly StoredChange[],
    deltas: readonly AnyCrdtState[],
    originSocket: string | undefined,
  ): void {
    const fanOut = this.#shared || this.#hasReaders(doc.id, originSocket);
    changes.forEach((change, i) => {
      // With several nodes, seqs are shared: another node may hold a lower seq this one has not
      // merged yet, so only a read of the store (load, refresh) may advance `lastSeq`.
      if (!this.#shared) doc.lastSeq = Math.max(doc.lastSeq, change.seq);
      doc.changesSinceSnapshot++;
      if (fanOut) this.#fanOut.add(doc, change.delta, deltas[i]!, originSocket);
    });
    if (this.#shared) {
      const wire: NodeChange[] = changes.map((c) => ({
        seq: c.seq,
        doc: c.doc,
        origin: c.origin,
        delta: Buffer.from(c.delta.buffer, c.delta.byteOffset, c.delta.byteLength).toString(
          'base64',
        ),
      }));
      this.io.serverSideEmit(NODE_CHANGES, wire);
    }
    const own = changes.filter((c) => c.origin === this.region);
    if (own.length > 0) this.#feedChanged(Math.max(...own.map((c) => c.seq)));
    this.#maybeSnapshot(doc);
  }

  /**
   * Whether a socket on this node other than `writer` is subscribed to `doc`. When none is (a
   * single node), the fan-out's joining and encoding is skipped: a flood of writes to a document
   * of one's own would otherwise pay it per commit. A socket that joins later reads the state
   * after joining (its sync).
   */
  #hasReaders(doc: DocumentId, writer: string | undefined): boolean {
    const room = this.io.sockets.adapter.rooms.get(roomOf(doc));
    if (room === undefined || room.size === 0) return false;
    return room.size > 1 || writer === undefined || !room.has(writer);
  }

  #feedChanged(upTo: number): void {
    for (const feed of this.#feeds) feed.pump();
    if (this.#peerRegions.length === 0) this.#releaseSoon(upTo);
  }

  /**
   * Lets the store drop feed entries every peer has, at most once a second: each release is a
   * durable write, which the commit path should not pay for.
   */
  #releaseSoon(upTo: number): void {
    this.#releaseTarget = Math.max(this.#releaseTarget, upTo);
    if (this.#releaseTimer !== undefined || this.#closing) return;
    this.#releaseTimer = setTimeout(() => {
      this.#releaseTimer = undefined;
      this.#options.store.release(this.#releaseTarget).catch((err: unknown) => {
        this.logger.warn({ err }, 'releasing the feed failed; will retry');
      });
    }, 1_000);
    this.#releaseTimer.unref();
  }

  #maybeSnapshot(doc: RelayDocument): void {
    if (doc.changesSinceSnapshot < (this.#options.snapshotEvery ?? 500)) return;
    doc.changesSinceSnapshot = 0;
    this.#snapshot(doc).catch((err: unknown) => {
      this.logger.error({ err, doc: doc.id }, 'snapshot failed; the change log keeps everything');
    });
  }

  /**
   * A snapshot must hold every change up to the seq it claims. One node's memory holds all of
   * its own commits, but with several nodes per region another node's commit of a lower seq may
   * not have reached it yet: then the snapshot is rebuilt from the store itself.
   */
  async #snapshot(doc: RelayDocument): Promise<void> {
    const store = this.#options.store;
    if (!this.#shared) {
      await store.saveSnapshot(doc.id, doc.type.encode(doc.state), doc.lastSeq);
      return;
    }
    const stored = await store.load(doc.id);
    if (stored === undefined) return;
    const state = stored.snapshot
      ? doc.type.decode(stored.snapshot, this.decodeLimits)
      : doc.type.empty();
    let upTo = stored.snapshotSeq;
    for (const change of stored.changes) {
      const { type, state: delta } = decodeState(change.delta, this.decodeLimits);
      if (type === doc.type) doc.type.merge(state, delta);
      upTo = change.seq;
    }
    if (upTo > stored.snapshotSeq) await store.saveSnapshot(doc.id, doc.type.encode(state), upTo);
  }

  /**
   * A peer has durably merged our feed up to `upTo` (or, with `peer` undefined and no peers,
   * everything is trivially everywhere). Once every region has an entry, its dots are
   * replicated everywhere: subscribers hear it, and the store may drop the feed behind it.
   */
  recordPeerAck(peer: string, upTo: number): void {
    if (upTo <= (this.#peerAcks.get(peer) ?? -1)) return;
    this.#peerAcks.set(peer, upTo);
    if (this.#shared) this.io.serverSideEmit(NODE_PEER_ACK, peer, upTo);
    this.#recomputeReplicated();
  }

  /**
   * `peer` asked for our feed after `after`: that is where it is, even below an earlier ack (its
   * store was lost and it starts over). Lowering its position holds back further releases of the
   * feed, which it now needs, on every node; `replicated` notices stay as announced.
   */
  peerRequested(peer: string, after: number): void {
    this.#peerAcks.set(peer, after);
    if (this.#shared) this.io.serverSideEmit(NODE_PEER_REWIND, peer, after);
  }

  #recomputeReplicated(): void {
    if (this.#peerRegions.length === 0) return;
    let everywhere = Number.MAX_SAFE_INTEGER;
    for (const region of this.#peerRegions) {
      everywhere = Math.min(everywhere, this.#peerAcks.get(region) ?? 0);
    }
    this.#advanceReplicated(everywhere);
  }

  #advanceReplicated(upTo: number): void {
    if (upTo <= this.#replicatedTarget) return;
    this.#replicatedTarget = upTo;
    this.#replicating = this.#replicating
      .then(() => this.#announceReplicated(upTo))
      .catch((err: unknown) => this.logger.error({ err }, 'replication status failed'));
  }

  async #announceReplicated(upTo: number): Promise<void> {
    let after = this.#replicatedUpTo;
    if (upTo <= after) return;
    const store = this.#options.store;
    for (;;) {
      const entries = await store.readFeed(after, 1000);
      const inRange = entries.filter((e) => e.seq <= upTo);
      for (const entry of inRange) {
        try {
          this.#replicated.add(
            entry.doc,
            decodeState(entry.delta, this.decodeLimits).state.context,
          );
        } catch {
          // Undecodable entries were refused at push time; nothing to announce.
        }
      }
      const last = inRange[inRange.length - 1];
      if (last !== undefined) after = last.seq;
      if (inRange.length < entries.length || entries.length < 1000) break;
    }
    this.#replicatedUpTo = upTo;
    this.#releaseSoon(upTo);
  }

  /** Queues a catch-up after any running one (each is a pass over the subscribed documents). */
  #catchUpSoon(reason: string): void {
    this.#catchingUp = this.#catchingUp
      .then(() => this.#catchUp(reason))
      .catch((err: unknown) => this.logger.warn({ err, reason }, 'catching up failed'));
  }

  /**
   * A node's cross-node notices may have been lost (it crashed between a commit and its notice,
   * or Redis dropped them): re-reads from the shared store each document this node's clients
   * are subscribed to, and sends them what this node had not merged. Other documents catch up
   * when they are next subscribed to (see {@link refresh}). The feeds to peer regions are
   * pumped too, since a lost notice of an own-region change also left them unpumped.
   */
  async #catchUp(reason: string): Promise<void> {
    const docRoom = roomOf('');
    let behind = 0;
    for (const room of [...this.io.sockets.adapter.rooms.keys()]) {
      if (this.#closing) return;
      const doc = room.startsWith(docRoom) ? this.docs.peek(room.slice(docRoom.length)) : undefined;
      if (doc === undefined) continue;
      const before = doc.type.digest(doc.state);
      await this.refresh(doc);
      const missed = doc.type.deltaSince(doc.state, before);
      if (missed.context.isEmpty) continue;
      behind++;
      this.#fanOut.add(doc, doc.type.encode(missed), missed, undefined);
    }
    for (const feed of this.#feeds) feed.pump();
    this.logger.info({ reason, documents: behind }, 'caught up from the shared store');
  }

  async #serveHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/metrics') {
      res.writeHead(200, { 'content-type': this.metrics.registry.contentType });
      res.end(await this.metrics.registry.metrics());
    } else if (path === '/healthz') {
      const healthy = !this.#closing;
      // Public and harmless: clients of any origin probe it to see whether a relay is back.
      res.writeHead(healthy ? 200 : 503, {
        'content-type': 'application/json',
        'access-control-allow-origin': '*',
      });
      res.end(
        JSON.stringify({
          status: healthy ? 'ok' : 'shutting-down',
          region: this.region,
          relayId: this.relayId,
          peers: this.#links.map((l) => ({ region: l.region, connected: l.connected })),
        }),
      );
    } else if (!path?.startsWith('/socket.io')) {
      res.writeHead(404).end();
    }
  }

  async listen(port: number, host: string): Promise<AddressInfo> {
    if (this.#options.redisUrl && this.#redisKey !== undefined) {
      await this.#attachRedis(this.#options.redisUrl, this.#redisKey);
    }
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(port, host, () => resolve());
    });
    for (const peer of this.#options.peers ?? []) {
      const link = new PeerLink(this, peer, this.#options.store, this.#options.peerToken);
      this.#links.push(link);
      link.start();
    }
    return this.http.address() as AddressInfo;
  }

  async #attachRedis(url: string, key: string): Promise<void> {
    const [{ createAdapter }, { createClient }] = await Promise.all([
      import('@socket.io/redis-adapter'),
      import('redis'),
    ]);
    const pub = createClient({ url });
    const sub = pub.duplicate();
    pub.on('error', (err: unknown) => this.logger.error({ err }, 'redis error'));
    sub.on('error', (err: unknown) => this.logger.error({ err }, 'redis error'));
    await Promise.all([pub.connect(), sub.connect()]);
    // The adapter does not await its publishes, and those in flight when the connection drops
    // reject: unhandled, that would end the process. The other nodes catch up instead (below).
    const publish = pub.publish.bind(pub);
    let lostPublishes = 0;
    Object.defineProperty(pub, 'publish', {
      value: (channel: string, message: string | Buffer) =>
        publish(channel, message).catch(() => {
          lostPublishes++; // reported once the connection is back, not once per message
          return 0;
        }),
    });
    this.io.adapter(createAdapter(pub, sub, { key }));
    this.io.on(NODE_CHANGES, (changes: NodeChange[]) => {
      for (const change of changes) {
        const doc = this.docs.peek(change.doc);
        // Merging is idempotent, and messages of two nodes arrive in any order relative to
        // this node's own commits: merge every one, and leave `lastSeq` to the store reads.
        if (doc === undefined || change.seq <= doc.lastSeq) continue;
        const bytes = new Uint8Array(Buffer.from(change.delta, 'base64'));
        const delta = this.#mergeBytes(doc, bytes);
        if (delta !== undefined) this.#fanOut.add(doc, bytes, delta, undefined);
      }
      if (changes.some((c) => c.origin === this.region))
        for (const feed of this.#feeds) feed.pump();
    });
    this.io.on(NODE_PEER_REWIND, (peer: string, after: number) => {
      this.#peerAcks.set(peer, after);
    });
    this.io.on(NODE_PEER_ACK, (peer: string, upTo: number) => {
      if (upTo > (this.#peerAcks.get(peer) ?? -1)) {
        this.#peerAcks.set(peer, upTo);
        this.#recomputeReplicated();
      }
    });
    this.io.on(NODE_ALIVE, (relayId: string) => this.#liveness?.heard(relayId));
    this.#liveness = new NodeLiveness({
      beat: () => this.io.serverSideEmit(NODE_ALIVE, this.relayId),
      onSilent: (relayId) => this.#catchUpSoon(`node ${relayId} went silent`),
      intervalMs: 2_000,
      timeoutMs: 6_000,
    });
    // Redis keeps nothing for a client that is not connected. When this node's subscriber
    // reconnects, it has missed what the others announced meanwhile; when its publisher does,
    // the others may have missed what it announced. (The initial 'ready's have fired already.)
    sub.on('ready', () => this.#catchUpSoon('Redis reconnected'));
    pub.on('ready', () => {
      if (lostPublishes > 0) this.logger.warn({ lostPublishes }, 'Redis publishes were lost');
      lostPublishes = 0;
      this.io.serverSideEmit(NODE_CATCH_UP, this.relayId);
    });
    this.io.on(NODE_CATCH_UP, (relayId: string) =>
      this.#catchUpSoon(`node ${relayId} may have lost messages`),
    );
    this.#redisClients = [pub, sub];
  }

  #redisClients: { quit(): Promise<unknown> }[] = [];

  /** Graceful shutdown: refuse new connections, finish commits, close links, store, sockets. */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    for (const link of this.#links) link.close();
    clearTimeout(this.#releaseTimer);
    await this.#commits.flush();
    await this.#replicating.catch(() => {});
    this.#liveness?.stop();
    await this.#catchingUp;
    const closed = new Promise<void>((resolve) => this.io.close(() => resolve()));
    // Socket.IO has disconnected its clients; other HTTP connections (a health probe in flight,
    // a keep-alive socket) must not hold the shutdown open.
    this.http.closeAllConnections();
    await closed;
    await Promise.all(this.#redisClients.map((c) => c.quit().catch(() => {})));
    await this.#options.store.close();
  }

  get closing(): boolean {
    return this.#closing;
  }

  /** The protocol event name, for sessions and links. */
  static readonly EVENT = EVENT;
}

export type { ReplicaId };
