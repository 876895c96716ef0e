import type { ClientStorage } from './client-storage.js';
import type { DocumentRegistry } from './document-registry.js';
import type { OtherTabsHost } from './other-tab-writes.js';
import type { QueuedWrite } from './queued-write.js';
import { Receipt } from './receipt.js';
import { foldStored } from './stored-state.js';
import type { SyncSession } from './sync-session.js';
import type { TabWrite } from './tab-channel.js';
import type { WriteTrail } from './write-trail.js';

/** What a client lends `OtherTabWrites` to show other tabs' writes and stand in for them. */
export interface TabHostParts {
  readonly storage: ClientStorage;
  readonly documents: DocumentRegistry;
  readonly trail: WriteTrail;
  /** Merges other tabs' writes (`fromOtherTab`). */
  readonly session: SyncSession;
  /** Commits a write ahead of those waiting (`CommitPipeline.commitNow`). */
  readonly commit: (write: QueuedWrite) => Promise<void>;
}

/**
 * The client as `OtherTabWrites` sees it. A write stored in a dead tab's stead goes through
 * this tab's commit pipeline as an own write: into the outbox (the relay accepts it, since a
 * client announces every slot's id of its profile), with a receipt in the write trail.
 */
export function tabHost(parts: TabHostParts): OtherTabsHost {
  const { storage, documents, trail, session, commit } = parts;
  return {
    holds: (doc) => documents.get(doc) !== undefined,
    apply: (write) => session.fromOtherTab(write.doc, write.delta),
    async isStored(write: TabWrite) {
      const doc = documents.get(write.doc);
      if (write.dot === undefined || doc === undefined) return false;
      const state = foldStored(doc.type, await storage.current.load(write.doc));
      return state.context.has(write.dot.replica, write.dot.seq);
    },
    async store(write: TabWrite) {
      const receipt = new Receipt(write.doc, write.dot, trail.observe);
      trail.pending(receipt);
      await commit({ doc: write.doc, delta: write.delta, receipt });
      await receipt.wait('local');
    },
  };
}
