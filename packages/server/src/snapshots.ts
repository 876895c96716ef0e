import { type DecodeLimits, decodeState } from '@helios/core';
import type { Logger } from 'pino';
import type { RelayDocument } from './documents.js';
import type { RelayStore } from './store/relay-store.js';

/**
 * Compaction: once `every` changes to a document were committed since its last snapshot, and
 * their encoded bytes are at least that snapshot's, its state is saved as a new snapshot, so a
 * load reads the snapshot and the changes after it rather than the whole history.
 *
 * Why bytes too: a snapshot costs time in proportion to the document (tens of ms for 100k
 * keys, on the event loop). Taken every `every` changes, a large document would spend most of
 * its merge time re-encoding itself. Waiting until the changes weigh as much as the snapshot
 * makes each change pay for encoding about its own size, whatever the document's, and a load
 * still reads at most about twice the snapshot's bytes.
 */
export class Snapshots {
  readonly #store: RelayStore;
  readonly #every: number;
  /** Whether several nodes share the region's store (see {@link #take}). */
  readonly #shared: boolean;
  readonly #decodeLimits: DecodeLimits;
  readonly #logger: Logger;

  constructor(
    store: RelayStore,
    every: number,
    shared: boolean,
    decodeLimits: DecodeLimits,
    logger: Logger,
  ) {
    this.#store = store;
    this.#every = every;
    this.#shared = shared;
    this.#decodeLimits = decodeLimits;
    this.#logger = logger;
  }

  /** Takes a snapshot of `doc` if enough changes were committed to it since the last. */
  maybeTake(doc: RelayDocument): void {
    if (doc.changesSinceSnapshot < this.#every) return;
    if (doc.changeBytesSinceSnapshot < doc.snapshotBytes) return;
    doc.changesSinceSnapshot = 0;
    doc.changeBytesSinceSnapshot = 0;
    this.#take(doc).catch((err: unknown) => {
      this.#logger.error({ err, doc: doc.id }, 'snapshot failed; the change log keeps everything');
    });
  }

  /**
   * A snapshot must hold every change up to the seq it claims. One node's memory holds all of
   * its own commits, but with several nodes per region another node's commit of a lower seq may
   * not have reached it yet: then the snapshot is rebuilt from the store itself.
   */
  async #take(doc: RelayDocument): Promise<void> {
    const store = this.#store;
    if (!this.#shared) {
      const snapshot = doc.type.encodeSnapshot(doc.state);
      doc.snapshotBytes = snapshot.length;
      await store.saveSnapshot(doc.id, snapshot, doc.lastSeq);
      return;
    }
    const stored = await store.load(doc.id);
    if (stored === undefined) return;
    const state = stored.snapshot
      ? doc.type.decode(stored.snapshot, this.#decodeLimits)
      : doc.type.empty();
    let upTo = stored.snapshotSeq;
    for (const change of stored.changes) {
      const { type, state: delta } = decodeState(change.delta, this.#decodeLimits);
      if (type === doc.type) doc.type.merge(state, delta);
      upTo = change.seq;
    }
    if (upTo > stored.snapshotSeq) {
      const snapshot = doc.type.encodeSnapshot(state);
      doc.snapshotBytes = snapshot.length;
      await store.saveSnapshot(doc.id, snapshot, upTo);
    }
  }
}
