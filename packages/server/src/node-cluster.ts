import type { ReplicaId } from '@helios/core';
import type { PeerPresenceEntry, RightsGrant, RightsRequest } from '@helios/core/protocol';
import type { Logger } from 'pino';
import { NodeLiveness } from './node-liveness.js';
import type { NodeChange, RelayServer } from './relay-socket.js';
import type { SiblingNode } from './rights-desk.js';
import type { StoredChange } from './store/relay-store.js';

/** What a node does with its region's other nodes' notices. */
export interface ClusterListener {
  /** Another node committed `changes` (their deltas base64, see {@link changeBytes}). */
  changes(changes: readonly NodeChange[]): void;
  /** Another node heard a peer region acknowledge the feed up to `upTo`. */
  peerAcked(peer: string, upTo: number): void;
  /** Another node heard a peer region ask for the feed after `after`. */
  peerRewound(peer: string, after: number): void;
  /** Notices may have been lost (`reason` says how): catch up from the shared store. */
  catchUp(reason: string): void;
  /** Node `from` asks this node for rights (answer with {@link NodeCluster.answerRights}). */
  rightsAsked(from: string, request: RightsRequest): void;
  /** A node answered this node's ask for rights. */
  rightsAnswered(grant: RightsGrant): void;
  /** Another node heard of presence changes of `region` (see PresenceHub). */
  presence(region: string, entries: readonly PeerPresenceEntry[]): void;
  /** The replica holding this node's rights now, told to the others with each heartbeat. */
  replica(): ReplicaId | undefined;
}

/** The delta of a change as a {@link NodeChange} carries it. */
export function changeBytes(change: NodeChange): Uint8Array {
  return new Uint8Array(Buffer.from(change.delta, 'base64'));
}

/**
 * The other nodes of this node's region, when several share it through Redis: the Socket.IO
 * Redis adapter (so a room spans the nodes), the notices they send each other, and their
 * heartbeats. Each node sends deltas to its own sockets only: the others hear of a commit in
 * one notice, merge it and fan it out themselves, so a node's memory and its subscribers gain a
 * delta together (or, the notice lost, catch up together).
 */
export class NodeCluster {
  readonly #io: RelayServer;
  readonly #relayId: string;
  readonly #logger: Logger;
  readonly #listener: ClusterListener;
  readonly #redis: { readonly url: string; readonly key: string };
  #liveness: NodeLiveness | undefined;
  /** The replica of each node heard alive, as its last heartbeat told. */
  readonly #siblings = new Map<string, ReplicaId>();
  #redisClients: { quit(): Promise<unknown> }[] = [];

  /** `redis`: the server's URL, and the channel prefix of this region's nodes. */
  constructor(
    io: RelayServer,
    redis: { readonly url: string; readonly key: string },
    relayId: string,
    logger: Logger,
    listener: ClusterListener,
  ) {
    this.#io = io;
    this.#redis = redis;
    this.#relayId = relayId;
    this.#logger = logger;
    this.#listener = listener;
  }

  /** Tells the other nodes of changes this node committed. */
  publishChanges(changes: readonly StoredChange[]): void {
    const wire: NodeChange[] = changes.map((c) => ({
      seq: c.seq,
      doc: c.doc,
      origin: c.origin,
      delta: Buffer.from(c.delta.buffer, c.delta.byteOffset, c.delta.byteLength).toString('base64'),
      ...(c.prior === undefined ? {} : { prior: c.prior }),
    }));
    this.#io.serverSideEmit('helios:changes', wire);
  }

  /** Tells the other nodes that peer region `peer` acknowledged the feed up to `upTo`. */
  publishPeerAck(peer: string, upTo: number): void {
    this.#io.serverSideEmit('helios:peer-ack', peer, upTo);
  }

  /** Tells the other nodes that peer region `peer` asked for the feed after `after`. */
  publishPeerRewind(peer: string, after: number): void {
    this.#io.serverSideEmit('helios:peer-rewind', peer, after);
  }

  /** Tells the other nodes of presence changes of `region` (values are JSON: no bytes). */
  publishPresence(region: string, entries: readonly PeerPresenceEntry[]): void {
    this.#io.serverSideEmit('helios:presence', region, [...entries]);
  }

  /** The other nodes heard alive that hold a replica. */
  siblings(): SiblingNode[] {
    return [...this.#siblings].map(([relayId, replica]) => ({ relayId, replica }));
  }

  /** Asks node `relayId` for rights, as a peer region is asked (RightsDesk). */
  askRights(relayId: string, request: RightsRequest): void {
    this.#io.serverSideEmit('helios:rights-ask', relayId, this.#relayId, request);
  }

  /** Answers node `relayId`'s ask (without the transfer: it reaches that node as a change). */
  answerRights(relayId: string, grant: RightsGrant): void {
    const { kind, id, doc, from, granted } = grant;
    this.#io.serverSideEmit('helios:rights-answer', relayId, { kind, id, doc, from, granted });
  }

  /** Connects to Redis, and starts listening and beating. */
  async attach(): Promise<void> {
    const { url, key } = this.#redis;
    const [{ createAdapter }, { createClient }] = await Promise.all([
      import('@socket.io/redis-adapter'),
      import('redis'),
    ]);
    const pub = createClient({ url });
    const sub = pub.duplicate();
    pub.on('error', (err: unknown) => this.#logger.error({ err }, 'redis error'));
    sub.on('error', (err: unknown) => this.#logger.error({ err }, 'redis error'));
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
    const io = this.#io;
    const listener = this.#listener;
    io.adapter(createAdapter(pub, sub, { key }));
    io.on('helios:changes', (changes) => listener.changes(changes));
    io.on('helios:peer-rewind', (peer, after) => listener.peerRewound(peer, after));
    io.on('helios:peer-ack', (peer, upTo) => listener.peerAcked(peer, upTo));
    io.on('helios:presence', (region, entries) => listener.presence(region, entries));
    io.on('helios:alive', (relayId, replica) => {
      if (typeof replica === 'string') this.#siblings.set(relayId, replica);
      else this.#siblings.delete(relayId);
      this.#liveness?.heard(relayId);
    });
    io.on('helios:rights-ask', (to, from, request) => {
      if (to === this.#relayId) listener.rightsAsked(from, request);
    });
    io.on('helios:rights-answer', (to, grant) => {
      if (to === this.#relayId) listener.rightsAnswered(grant);
    });
    this.#liveness = new NodeLiveness({
      beat: () => io.serverSideEmit('helios:alive', this.#relayId, listener.replica() ?? null),
      onSilent: (relayId) => {
        this.#siblings.delete(relayId);
        listener.catchUp(`node ${relayId} went silent`);
      },
      intervalMs: 2_000,
      timeoutMs: 6_000,
    });
    // Redis keeps nothing for a client that is not connected. When this node's subscriber
    // reconnects, it has missed what the others announced meanwhile; when its publisher does,
    // the others may have missed what it announced. (The initial 'ready's have fired already.)
    sub.on('ready', () => listener.catchUp('Redis reconnected'));
    pub.on('ready', () => {
      if (lostPublishes > 0) this.#logger.warn({ lostPublishes }, 'Redis publishes were lost');
      lostPublishes = 0;
      io.serverSideEmit('helios:catch-up', this.#relayId);
    });
    io.on('helios:catch-up', (relayId) =>
      listener.catchUp(`node ${relayId} may have lost messages`),
    );
    this.#redisClients = [pub, sub];
  }

  /** Stops the heartbeat. */
  stop(): void {
    this.#liveness?.stop();
  }

  /** Closes the Redis connections (after the Socket.IO server is closed). */
  async close(): Promise<void> {
    await Promise.all(this.#redisClients.map((c) => c.quit().catch(() => {})));
  }
}
