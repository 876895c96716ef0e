import type { CausalContext, DocumentId } from '@helios/core';
import type { Message, PresenceEntry } from '@helios/core/protocol';
import type { RelayDocument } from './documents.js';
import type { RelayMetrics } from './metrics.js';
import type { RelayServer } from './relay-socket.js';
import { roomOf, send } from './wire.js';

/**
 * A document's subscribers on this node: the sockets in its Socket.IO room. What the node
 * sends them, and what it asks about them.
 */
export class DocumentRooms {
  readonly #io: RelayServer;
  readonly #metrics: RelayMetrics;

  constructor(io: RelayServer, metrics: RelayMetrics) {
    this.#io = io;
    this.#metrics = metrics;
  }

  /** Sends an encoded delta to the subscribers of `doc` on this node, except socket `except`. */
  sendDelta(doc: RelayDocument, delta: Uint8Array, except: string | undefined): void {
    const room = this.#io.local.to(roomOf(doc.id));
    const target = except ? room.except(except) : room;
    this.#metrics.bytesOut.inc(send(target, { kind: 'delta', doc: doc.id, delta }));
  }

  /** Sends presence changes of `doc` to its subscribers on this node, except socket `except`. */
  sendPresence(doc: DocumentId, entries: readonly PresenceEntry[], except?: string): void {
    if (!this.#io.sockets.adapter.rooms.get(roomOf(doc))?.size) return;
    const room = this.#io.local.to(roomOf(doc));
    const target = except ? room.except(except) : room;
    this.#metrics.bytesOut.inc(send(target, { kind: 'presence', doc, entries }));
  }

  /**
   * Announces `dots` of `doc` as replicated everywhere (or, with `region`, in that peer region)
   * to the subscribers who wrote them (per region: who asked for it at the handshake).
   */
  sendReplicated(doc: DocumentId, dots: CausalContext, region?: string): void {
    const writers = this.#writersAmong(doc, dots, region !== undefined);
    if (writers.length === 0) return;
    const message: Message =
      region === undefined
        ? { kind: 'replicated', doc, dots }
        : { kind: 'region-replicated', doc, region, dots };
    this.#metrics.bytesOut.inc(send(this.#io.local.to(writers), message));
  }

  /**
   * Subscribers of `doc` on this node whose connection is bound to a replica with a dot in
   * `dots`. A `replicated` message only tells a client about its own writes (it waits for the
   * dots they minted), so the other subscribers are not sent it: a document's readers cost no
   * announcement per commit.
   */
  #writersAmong(doc: DocumentId, dots: CausalContext, askedForRegions: boolean): string[] {
    const writers: string[] = [];
    for (const id of this.#io.sockets.adapter.rooms.get(roomOf(doc)) ?? []) {
      const admitted = this.#io.sockets.sockets.get(id)?.data.admitted;
      if (admitted?.kind !== 'client' || (askedForRegions && !admitted.regionTrail)) continue;
      for (const replica of admitted.replicas) {
        if (dots.max(replica) > 0) {
          writers.push(id);
          break;
        }
      }
    }
    return writers;
  }

  /**
   * Whether a socket on this node other than `writer` is subscribed to `doc`. When none is (a
   * single node), the fan-out's joining and encoding is skipped: a flood of writes to a document
   * of one's own would otherwise pay it per commit. A socket that joins later reads the state
   * after joining (its sync).
   */
  hasReaders(doc: DocumentId, writer: string | undefined): boolean {
    const room = this.#io.sockets.adapter.rooms.get(roomOf(doc));
    if (room === undefined || room.size === 0) return false;
    return room.size > 1 || writer === undefined || !room.has(writer);
  }

  /** The documents some socket on this node is subscribed to, as the rooms list them now. */
  subscribed(): DocumentId[] {
    const docRoom = roomOf('');
    return [...this.#io.sockets.adapter.rooms.keys()]
      .filter((room) => room.startsWith(docRoom))
      .map((room) => room.slice(docRoom.length));
  }
}
