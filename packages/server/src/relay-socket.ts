import type { Server as HttpServer } from 'node:http';
import type { ReplicaId } from '@helios/core';
import type { Message, PeerPresenceEntry, RightsGrant, RightsRequest } from '@helios/core/protocol';
import { socketParser } from '@helios/transport';
import { Server, type Socket } from 'socket.io';
import type { RelayUser } from './auth.js';
import type { UserSlot } from './user-limits.js';
import { type EVENT, send } from './wire.js';
import { coalesceWrites } from './write-coalescing.js';

/** The one event a client or a peer sends a relay: a binary protocol frame. */
export interface InboundEvents {
  [EVENT]: (frame: unknown) => void;
}

/** The one event a relay sends: a binary protocol frame. */
export interface OutboundEvents {
  [EVENT]: (frame: Uint8Array) => void;
}

/**
 * A change as the cross-node notice carries it. The Redis adapter sends `serverSideEmit`
 * arguments as JSON, which turns bytes into `{type: 'Buffer', data}`: the delta goes as base64.
 */
export interface NodeChange {
  readonly seq: number;
  readonly doc: string;
  readonly origin: string;
  readonly delta: string;
  /**
   * The seq of the document's change before this one (`StoredChange.prior`): no change of the
   * document lies between the two. Absent from nodes of an earlier version.
   */
  readonly prior?: number;
}

/** The notices the nodes of one region send each other (Redis adapter `serverSideEmit`). */
export interface ClusterEvents {
  /** Changes one node committed: the others merge them and fan them out to their sockets. */
  'helios:changes': (changes: NodeChange[]) => void;
  /** A peer region acknowledged the feed up to a position. */
  'helios:peer-ack': (peer: string, upTo: number) => void;
  /** A peer asked for the feed from a position, possibly lower than it acknowledged before. */
  'helios:peer-rewind': (peer: string, after: number) => void;
  /** A node's heartbeat (see NodeLiveness), with the replica holding its rights (or null). */
  'helios:alive': (relayId: string, replica: string | null) => void;
  /** A node asks node `to` for rights (RightsDesk), as it asks a peer region. */
  'helios:rights-ask': (to: string, from: string, request: RightsRequest) => void;
  /** Node `to`'s ask was answered: the transfer, if any, comes as a change. */
  'helios:rights-answer': (to: string, grant: RightsGrant) => void;
  /** Presence changes of `region`'s connections (this node's, or a peer region's it heard). */
  'helios:presence': (region: string, entries: PeerPresenceEntry[]) => void;
  /** A node's publishes may have been lost: the others catch up from the store. */
  'helios:catch-up': (relayId: string) => void;
}

/** Who a connection is, once admitted: a peer relay, or a client with its user and replicas. */
export type Admitted =
  | { readonly kind: 'peer'; readonly peer: string }
  | {
      readonly kind: 'client';
      readonly user: RelayUser;
      readonly replicas: ReadonlySet<ReplicaId>;
      readonly slot: UserSlot;
      /** It asked for `region-replicated` notices of its writes (`HelloAuth.regionTrail`). */
      readonly regionTrail: boolean;
    };

/** What a relay keeps on each socket: set by admission, before Socket.IO emits `connection`. */
export interface RelaySocketData {
  admitted?: Admitted;
}

/** The relay's Socket.IO server, typed with its events and socket data. */
export type RelayServer = Server<InboundEvents, OutboundEvents, ClusterEvents, RelaySocketData>;

/** A connection to the relay: a client's or a peer relay's. */
export type RelaySocket = Socket<InboundEvents, OutboundEvents, ClusterEvents, RelaySocketData>;

/**
 * The relay's Socket.IO server on `http`. `corsOrigins`: the browser origins allowed, `'*'` for
 * any, none if undefined.
 */
export function createSocketServer(
  http: HttpServer,
  maxMessageBytes: number,
  corsOrigins: readonly string[] | '*' | undefined,
): RelayServer {
  const origins = corsOrigins;
  const io: RelayServer = new Server(http, {
    // A frame of maxMessageBytes travels as one WebSocket message with the parser's marker byte.
    maxHttpBufferSize: maxMessageBytes + 1,
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
  // On engine.io's socket as it opens: Socket.IO's CONNECT reply then leaves with `welcome`.
  io.engine.on('connection', coalesceWrites);
  return io;
}

/** Sends `message` to every client (not peer relay) connected to this node. */
export function sendToClients(io: RelayServer, message: Message): void {
  for (const socket of io.sockets.sockets.values()) {
    if (socket.data.admitted?.kind === 'client') send(socket, message);
  }
}
