import { contextRanges } from '@helios/core';
import type { AdminSource } from './admin-http.js';
import type { ConflictLog } from './conflict-log.js';
import type { MergeCore } from './merge-core.js';
import type { NodeFolding } from './node-folding.js';
import type { RelayOptions } from './options.js';
import type { PeerLink } from './peer-link.js';
import type { Replication } from './replication.js';

/** The parts of a relay node the admin endpoint reads. */
export interface RelayAdminParts {
  readonly core: MergeCore;
  readonly conflicts: ConflictLog;
  readonly replication: Replication;
  readonly links: readonly PeerLink[];
  readonly folding: NodeFolding;
}

/** The admin endpoint's view of relay node `node` (see admin-http.ts). */
export function relayAdmin(
  node: { readonly region: string; readonly relayId: string },
  options: Pick<RelayOptions, 'adminToken'>,
  parts: RelayAdminParts,
): AdminSource {
  const { core, conflicts, links, replication, folding } = parts;
  const token = options.adminToken;
  if (token !== undefined && token.length < 16) {
    throw new RangeError('adminToken must have at least 16 characters');
  }
  return {
    token,
    async document(id) {
      const doc = await core.docs.get(id);
      if (doc === undefined) return undefined;
      await core.refresh(doc); // another node of the region may have changed it
      return {
        id,
        type: doc.type.name,
        value: doc.type.toJson(doc.state),
        context: contextRanges(doc.state.context),
        lastSeq: doc.lastSeq,
      };
    },
    replication() {
      const connected = new Map(links.map((l) => [l.region, l.connected]));
      return {
        region: node.region,
        relayId: node.relayId,
        peers: replication
          .status()
          .map((p) => ({ ...p, connected: connected.get(p.region) ?? false })),
      };
    },
    conflicts: (doc) => conflicts.recent(doc),
    fold: () => folding.status(),
  };
}
