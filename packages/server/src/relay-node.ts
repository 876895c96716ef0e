import { randomBytes } from 'node:crypto';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type AnyCrdtState,
  DEFAULT_DECODE_LIMITS,
  type DecodeLimits,
  type ReplicaId,
} from '@helios/core';
import { type Logger, pino } from 'pino';
import { Admission } from './admission.js';
import { ClientSession } from './client-session.js';
import { ConflictLog } from './conflict-log.js';
import { DocumentRooms } from './document-rooms.js';
import type { RelayDocument } from './documents.js';
import { FanOut } from './fan-out.js';
import { mergeHeardChanges } from './heard-changes.js';
import { LoopShare, RELAY_LOOP_SHARE } from './loop-share.js';
import { type CommitOutlet, MergeCore } from './merge-core.js';
import { RelayMetrics } from './metrics.js';
import { type ClusterListener, NodeCluster } from './node-cluster.js';
import { NodeFolding } from './node-folding.js';
import type { FeedPort, LinkPort, NodeBasics, SessionPort } from './node-ports.js';
import { nodePresenceHub } from './node-presence.js';
import { answerSibling, nodeRightsDesk } from './node-rights.js';
import { NodeSlot } from './node-slot.js';
import { type ConnectionLimits, type RelayOptions, resolveLimits } from './options.js';
import { type PeerChannel, socketPeerChannel } from './peer-channel.js';
import type { PeerLink } from './peer-link.js';
import { servePeer } from './peer-service.js';
import { startPeering } from './peer-start.js';
import type { PresenceHub } from './presence-hub.js';
import type { QuicPeerListener } from './quic/quic-peer-listener.js';
import { DEFAULT_DEPLOYMENT, redisChannelKey } from './redis-channels.js';
import { relayAdmin } from './relay-admin.js';
import { type Health, relayHttp } from './relay-http.js';
import {
  createSocketServer,
  type NodeChange,
  type RelayServer,
  type RelaySocket,
  sendToClients,
} from './relay-socket.js';
import { Replication, type ReplicationOutlet } from './replication.js';
import type { RightsDesk } from './rights-desk.js';
import { SqlWriter } from './sql-writer.js';
import type { StoredChange } from './store/relay-store.js';
import { StoreCatchUp } from './store-catch-up.js';
import { clientGreeting, welcomeMessage } from './welcome.js';
import { send } from './wire.js';

/**
 * One relay node, put together: the HTTP and Socket.IO servers, {@link Admission}, the
 * {@link MergeCore} every delta goes through, the fan-out to this node's subscribers
 * ({@link DocumentRooms}), the other nodes of the region ({@link NodeCluster}), and the peer
 * regions ({@link Replication}, feed streams, peer links). Sessions, feed streams and peer links
 * each receive the port they need (node-ports.ts), built here from those parts.
 */
export class RelayNode {
  readonly region: string;
  readonly relayId: string;
  readonly metrics: RelayMetrics;
  readonly #logger: Logger;
  readonly #options: RelayOptions;
  readonly #limits: ConnectionLimits;
  readonly #decodeLimits: DecodeLimits;
  readonly #now: () => number;
  /** How the connections' work shares the event loop (see {@link LoopShare}). */
  readonly #loopShare = new LoopShare(RELAY_LOOP_SHARE);
  readonly #http: HttpServer;
  readonly #io: RelayServer;
  readonly #admission: Admission;
  readonly #core: MergeCore;
  readonly #rooms: DocumentRooms;
  readonly #fanOut: FanOut;
  readonly #replication: Replication;
  /** The region's other nodes, when several share it (a Redis URL is set). */
  readonly #cluster: NodeCluster | undefined;
  readonly #catchUp: StoreCatchUp;
  /** Applies the writes queued in the store from SQL, if it has any (docs/sql.md). */
  readonly #sqlWriter: SqlWriter | undefined;
  readonly #links: PeerLink[] = [];
  /** Conflicts merges left: counted, the last ones kept for the admin endpoint. */
  readonly #conflicts: ConflictLog;
  readonly #sessionPort: SessionPort;
  readonly #feedPort: FeedPort;
  readonly #linkPort: LinkPort;
  readonly #rights: RightsDesk;
  readonly #presence: PresenceHub;
  /** The node's own replica, holding the rights it grants, bound to a slot of the store. */
  readonly #slot: NodeSlot;
  /** Closure receipts and folds of retired replicas (docs/compaction.md). */
  readonly folding: NodeFolding;
  /** Accepts peer links over QUIC, when enabled (docs/quic.md). */
  #quic: QuicPeerListener | undefined;
  #closing = false;
  /** Every listener is up (see HealthStatus). */
  #listening = false;

  constructor(options: RelayOptions) {
    this.#options = options;
    this.region = options.region;
    this.relayId = options.relayId ?? `${options.region}-${randomBytes(4).toString('hex')}`;
    this.#logger = options.logger ?? pino({ name: 'helios-relay', base: { region: this.region } });
    this.metrics = new RelayMetrics({ region: this.region });
    this.#limits = resolveLimits(options.limits);
    this.#decodeLimits = {
      ...DEFAULT_DECODE_LIMITS,
      maxBytes: this.#limits.maxMessageBytes,
      ...options.decodeLimits,
    };
    this.#now = options.now ?? Date.now;
    const own = { region: this.region, logger: this.#logger, metrics: this.metrics };
    this.#slot = new NodeSlot({ ...own, store: options.store, shared: !!options.redisUrl });
    this.#core = new MergeCore(
      options,
      this.#decodeLimits,
      this.#logger,
      this.metrics,
      this.#commitOutlet(),
      (busyMs) => this.#loopShare.restAfter(busyMs),
    );
    this.#admission = new Admission(options, this.#limits, this.#now, this.#logger, this.metrics);
    const writeRequests = options.store.writeRequests;
    this.#sqlWriter = writeRequests && new SqlWriter(writeRequests, this.#core, this.#logger);
    // The channel prefix is checked here rather than in listen(), so a bad name fails at
    // createRelay.
    const redis =
      options.redisUrl !== undefined
        ? {
            url: options.redisUrl,
            key: redisChannelKey(options.deployment ?? DEFAULT_DEPLOYMENT, this.region),
          }
        : undefined;
    this.#replication = new Replication(
      this.#core.feed,
      (options.peers ?? []).map((p) => p.region),
      this.#decodeLimits,
      this.#logger,
      this.#replicationOutlet(),
    );
    this.#conflicts = new ConflictLog(this.metrics.conflicts, this.#now);
    const [slot, core, links, now] = [this.#slot, this.#core, this.#links, this.#now];
    const replication = this.#replication;
    const folding = { ...own, options, core, slot, replication, links, now };
    this.folding = new NodeFolding({ ...folding, toClients: (m) => sendToClients(this.#io, m) });
    const parts = { core, conflicts: this.#conflicts, links, folding: this.folding };
    const admin = relayAdmin(this, options, { ...parts, replication });
    this.#http = createServer(relayHttp(this.metrics, () => this.#health(), admin));
    this.#io = createSocketServer(this.#http, this.#limits.maxMessageBytes, options.corsOrigins);
    this.#rooms = new DocumentRooms(this.#io, this.metrics);
    this.#fanOut = new FanOut((doc, delta, except) => this.#rooms.sendDelta(doc, delta, except));
    this.#cluster =
      redis !== undefined
        ? new NodeCluster(this.#io, redis, this.relayId, this.#logger, this.#clusterListener())
        : undefined;
    this.#catchUp = this.#storeCatchUp();
    const [cluster, limits, rooms] = [this.#cluster, this.#limits, this.#rooms];
    this.#presence = nodePresenceHub({ region: this.region, limits, now, rooms, cluster, links });
    this.#rights = nodeRightsDesk({ ...own, slot, core, links, cluster, policy: options.rights });
    this.#sessionPort = this.#makeSessionPort();
    this.#feedPort = this.#makeFeedPort();
    this.#linkPort = this.#makeLinkPort();
    this.#io.use((socket, next) => this.#admission.middleware(socket, next));
    this.#io.on('connection', (socket) => this.#connected(socket));
  }

  /** The node's own replica, holding the rights it grants; none while it holds no slot. */
  get relayReplica(): ReplicaId | undefined {
    return this.#slot.held?.replica;
  }

  /** What the merge core does after a commit: fan out, tell the other nodes, feed the peers. */
  #commitOutlet(): CommitOutlet {
    return {
      committed: (doc, changes, deltas, originSocket) =>
        this.#committed(doc, changes, deltas, originSocket),
      durableHere: (doc, dots) => this.#replication.durableHere(doc, dots),
      merged: (doc, delta) => this.#conflicts.merged(doc, delta),
      caughtUp: (doc, bytes, delta) => this.#fanOut.add(doc, bytes, delta, undefined),
    };
  }

  #committed(
    doc: RelayDocument,
    changes: readonly StoredChange[],
    deltas: readonly AnyCrdtState[],
    originSocket: string | undefined,
  ): void {
    const cluster = this.#cluster;
    if (cluster !== undefined || this.#rooms.hasReaders(doc.id, originSocket)) {
      changes.forEach((change, i) => {
        this.#fanOut.add(doc, change.delta, deltas[i]!, originSocket);
      });
    }
    cluster?.publishChanges(changes);
    const own = changes.filter((c) => c.origin === this.region);
    if (own.length > 0) this.#replication.feedChanged(Math.max(...own.map((c) => c.seq)));
  }

  /** Where replication's news goes: this node's subscribers, and the region's other nodes. */
  #replicationOutlet(): ReplicationOutlet {
    return {
      announce: (doc, dots) => {
        // Remembered for subscribers that join later (they get it with their sync).
        this.#core.docs.peek(doc)?.replicated.join(dots);
        this.#rooms.sendReplicated(doc, dots);
      },
      announceRegion: (doc, region, dots) => this.#rooms.sendReplicated(doc, dots, region),
      regionTrailWanted: () => this.#admission.regionTrailWanted,
      peerAcked: (peer, upTo) => this.#cluster?.publishPeerAck(peer, upTo),
      peerRewound: (peer, after) => this.#cluster?.publishPeerRewind(peer, after),
    };
  }

  /** What this node does with the notices of the region's other nodes. */
  #clusterListener(): ClusterListener {
    return {
      changes: (changes) => this.#heardChanges(changes),
      peerAcked: (peer, upTo) => this.#replication.heardPeerAck(peer, upTo),
      peerRewound: (peer, after) => this.#replication.heardPeerRewind(peer, after),
      catchUp: (reason) => this.#catchUp.soon(reason),
      presence: (region, entries) => this.#presence.fromSibling(region, entries),
      rightsAsked: (from, request) =>
        answerSibling(this.#rights, this.#cluster!, this.#logger, from, request),
      rightsAnswered: (grant) => this.#rights.peerAnswered(this.region, grant),
      replica: () => this.relayReplica,
    };
  }

  /** Another node committed `changes`: merge those of documents held here, and fan them out. */
  #heardChanges(changes: readonly NodeChange[]): void {
    mergeHeardChanges(this.#core, changes, (doc, bytes, delta) =>
      this.#fanOut.add(doc, bytes, delta, undefined),
    );
    if (changes.some((c) => c.origin === this.region)) this.#replication.pumpFeeds();
  }

  #storeCatchUp(): StoreCatchUp {
    const node = this;
    const core = this.#core;
    return new StoreCatchUp({
      docs: core.docs,
      logger: this.#logger,
      get closing() {
        return node.#closing;
      },
      subscribed: () => this.#rooms.subscribed(),
      refresh: (doc) => core.refresh(doc),
      fanOut: (doc, bytes, delta) => this.#fanOut.add(doc, bytes, delta, undefined),
      pumpFeeds: () => this.#replication.pumpFeeds(),
    });
  }

  /** What every port shows of the node. */
  #basics(): NodeBasics {
    return {
      metrics: this.metrics,
      logger: this.#logger,
      now: this.#now,
      decodeLimits: this.#decodeLimits,
      docs: this.#core.docs,
      presence: this.#presence,
    };
  }

  #makeSessionPort(): SessionPort {
    const core = this.#core;
    const loopShare = this.#loopShare;
    const admission = this.#admission;
    return {
      ...this.#basics(),
      limits: this.#limits,
      loopShare,
      // Whether bulk work should wait: the loop's turn is used up, or the bulk commits are behind.
      get behind() {
        return loopShare.behind || core.bulkFull;
      },
      authorize: (user, doc, access) => admission.authorize(user, doc, access),
      documentFor: (id, type) => core.docs.getOrCreate(id, type),
      refresh: (doc) => core.refresh(doc),
      confirmReplay: (doc) => core.confirmReplay(doc),
      // A bulk writer's next slice waits for the next turn, or for room in the bulk commit lane.
      bulkTurn: (who) => loopShare.turn(who, 'bulk') ?? core.bulkRoom(),
      mergeLocal: (doc, delta) => core.mergeLocal(doc, delta),
      commitLocal: (...args) => core.commitLocal(...args),
      rights: (doc, to, amount) => this.#rights.forClient(doc, to, amount),
      retiredEpochsBelow: () => this.#options.retiredEpochsBelow?.() ?? 0,
    };
  }

  #makeFeedPort(): FeedPort {
    const replication = this.#replication;
    return {
      ...this.#basics(),
      limits: this.#limits,
      refresh: (doc) => this.#core.refresh(doc),
      recordPeerAck: (peer, upTo) => replication.recordPeerAck(peer, upTo),
      peerRequested: (peer, after) => replication.peerRequested(peer, after),
      rightsForPeer: (peer, request) => this.#rights.forPeer(peer, request),
    };
  }

  #makeLinkPort(): LinkPort {
    return {
      ...this.#basics(),
      region: this.region,
      relayId: this.relayId,
      applyFromPeer: (peer, entries, cursor, ops) =>
        this.#core.applyFromPeer(peer, entries, cursor, ops),
      rightsGranted: (peer, grant) => this.#rights.peerAnswered(peer, grant),
    };
  }

  /** A connection was admitted: a feed stream for a peer relay, a session for a client. */
  #connected(socket: RelaySocket): void {
    const admitted = socket.data.admitted;
    if (admitted === undefined) return; // admission sets it before Socket.IO emits `connection`
    if (admitted.kind === 'peer') {
      this.#servePeer(socketPeerChannel(socket), admitted.peer);
      return;
    }
    const welcome = welcomeMessage(this, this.#limits, this.#now(), undefined);
    for (const m of clientGreeting(welcome, this.#options)) send(socket, m);
    this.metrics.connections.inc();
    new ClientSession(this.#sessionPort, socket, admitted.user, admitted.replicas, admitted.slot);
  }

  /** Serves a peer relay admitted over Socket.IO or QUIC, with its store's epoch in `welcome`. */
  #servePeer(channel: PeerChannel, peer: string): void {
    const [port, feed, replication] = [this.#feedPort, this.#core.feed, this.#replication];
    const welcome = welcomeMessage(this, this.#limits, this.#now(), this.#options.store.epoch);
    servePeer(channel, peer, welcome, { port, feed, replication });
    this.folding.servePeer(channel);
  }

  #health(): Health {
    return {
      status: this.#closing ? 'shutting-down' : this.#listening ? 'ok' : 'starting',
      region: this.region,
      relayId: this.relayId,
      peers: this.#links.map((l) => ({ region: l.region, connected: l.connected })),
    };
  }

  async listen(port: number, host: string): Promise<AddressInfo> {
    await this.#slot.start();
    if (this.#options.redisUrl) await this.#cluster?.attach();
    await new Promise<void>((resolve, reject) => {
      this.#http.once('error', reject);
      this.#http.listen(port, host, () => resolve());
    });
    this.#sqlWriter?.start();
    const address = this.#http.address() as AddressInfo;
    this.#quic = await startPeering(this.#options, {
      address,
      maxMessageBytes: this.#limits.maxMessageBytes,
      admit: (hello) => this.#admission.admitPeer(hello),
      serve: (channel, peer) => this.#servePeer(channel, peer),
      logger: this.#logger,
      linkPort: this.#linkPort,
      links: this.#links,
    });
    this.folding.start();
    this.#listening = true;
    return address;
  }

  /** Graceful shutdown: refuse new connections, finish commits, close links, store, sockets. */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    this.#admission.close();
    this.#presence.close();
    this.folding.stop();
    for (const link of this.#links) link.close();
    await this.#quic?.close();
    this.#replication.stop();
    await this.#sqlWriter?.stop();
    await this.#core.flush();
    await this.#replication.settled();
    this.#cluster?.stop();
    await this.#catchUp.settled();
    const closed = new Promise<void>((resolve) => this.#io.close(() => resolve()));
    // Socket.IO has disconnected its clients; other HTTP connections (a health probe in flight,
    // a keep-alive socket) must not hold the shutdown open.
    this.#http.closeAllConnections();
    await closed;
    await this.#cluster?.close();
    await this.#slot.close();
    await this.#options.store.close();
  }
}
