import type { AnyCrdtState, DocumentId } from '@helios/core';
import type { Logger } from 'pino';
import type { DocumentCache, RelayDocument } from './documents.js';

/** What a catch-up needs of its node. */
export interface CatchUpPort {
  readonly docs: DocumentCache;
  readonly logger: Logger;
  /** Whether the node is shutting down: a catch-up then stops. */
  readonly closing: boolean;
  /** The documents this node's clients are subscribed to. */
  subscribed(): DocumentId[];
  /** Brings a document up to the shared store. */
  refresh(doc: RelayDocument): Promise<void>;
  /** Sends a delta to the document's subscribers on this node. */
  fanOut(doc: RelayDocument, bytes: Uint8Array, delta: AnyCrdtState): void;
  /** Pumps the feeds to the peer regions. */
  pumpFeeds(): void;
}

/**
 * A node's cross-node notices may have been lost (it crashed between a commit and its notice,
 * or Redis dropped them): a catch-up re-reads from the shared store each document this node's
 * clients are subscribed to, and sends them what this node had not merged. Other documents
 * catch up when they are next subscribed to (see MergeCore.refresh). The feeds to peer regions
 * are pumped too, since a lost notice of an own-region change also left them unpumped.
 */
export class StoreCatchUp {
  readonly #node: CatchUpPort;
  #running: Promise<void> = Promise.resolve();

  constructor(node: CatchUpPort) {
    this.#node = node;
  }

  /** Queues a catch-up after any running one (each is a pass over the subscribed documents). */
  soon(reason: string): void {
    this.#running = this.#running
      .then(() => this.#catchUp(reason))
      .catch((err: unknown) => this.#node.logger.warn({ err, reason }, 'catching up failed'));
  }

  /** Resolves once the catch-ups queued so far are done. */
  settled(): Promise<void> {
    return this.#running;
  }

  async #catchUp(reason: string): Promise<void> {
    const node = this.#node;
    let behind = 0;
    for (const id of node.subscribed()) {
      if (node.closing) return;
      const doc = node.docs.peek(id);
      if (doc === undefined) continue;
      const before = doc.type.digest(doc.state);
      await node.refresh(doc);
      const missed = doc.type.deltaSince(doc.state, before);
      if (missed.context.isEmpty) continue;
      behind++;
      node.fanOut(doc, doc.type.encode(missed), missed);
    }
    node.pumpFeeds();
    node.logger.info({ reason, documents: behind }, 'caught up from the shared store');
  }
}
