import type { DocumentRooms } from './document-rooms.js';
import type { NodeCluster } from './node-cluster.js';
import type { ConnectionLimits } from './options.js';
import type { PeerLink } from './peer-link.js';
import { PresenceHub } from './presence-hub.js';

/** The parts of a relay node its {@link PresenceHub} sends through. */
export interface NodePresenceParts {
  readonly region: string;
  readonly limits: ConnectionLimits;
  readonly now: () => number;
  /** This node's subscribers. */
  readonly rooms: DocumentRooms;
  /** The region's other nodes, when several share it. */
  readonly cluster: NodeCluster | undefined;
  /** The node's peer links (filled in by `listen`). */
  readonly links: readonly PeerLink[];
}

/**
 * A relay node's presence (docs/presence.md): changes go to the node's subscribers, the
 * region's other nodes and the peer links.
 */
export function nodePresenceHub(parts: NodePresenceParts): PresenceHub {
  const { limits, rooms, cluster, links } = parts;
  return new PresenceHub(
    parts.region,
    {
      ttlMs: limits.presenceTtlMs,
      maxPerDocument: limits.maxPresencePerDocument,
      // 100,000 at the defaults, at most 1 KiB each: ~100 MB at worst, whatever clients and
      // peers send.
      maxEntries: 1_000 * limits.maxPresencePerDocument,
    },
    parts.now,
    {
      toSubscribers: (doc, entries, except) => rooms.sendPresence(doc, entries, except),
      toSiblings: (region, entries) => cluster?.publishPresence(region, entries),
      toPeers: (entries) => {
        for (const link of links) link.sendPresence(entries);
      },
    },
  );
}
