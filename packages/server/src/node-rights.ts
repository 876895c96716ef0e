import type { RightsRequest } from '@helios/core/protocol';
import type { Logger } from 'pino';
import type { MergeCore } from './merge-core.js';
import type { RelayMetrics } from './metrics.js';
import type { NodeCluster } from './node-cluster.js';
import type { NodeSlot } from './node-slot.js';
import type { PeerLink } from './peer-link.js';
import { RightsDesk, type RightsPolicy } from './rights-desk.js';

/** The parts of a relay node its {@link RightsDesk} works through. */
export interface NodeRightsParts {
  readonly region: string;
  readonly slot: NodeSlot;
  readonly core: MergeCore;
  /** The node's peer links (filled in by `listen`). */
  readonly links: readonly PeerLink[];
  /** The region's other nodes, when several share it. */
  readonly cluster: NodeCluster | undefined;
  readonly logger: Logger;
  readonly metrics: RelayMetrics;
  readonly policy: Partial<RightsPolicy> | undefined;
}

/**
 * The bounded-counter rights a relay node holds for its region, as the replica of its node slot
 * ({@link NodeSlot}): its writes are fenced by the slot, and the documents it spends from are
 * brought up to what the store holds first, as another node (the slot's last holder among
 * them) may have committed to them.
 */
export function nodeRightsDesk(parts: NodeRightsParts): RightsDesk {
  const { core, slot, links, cluster } = parts;
  return new RightsDesk(
    {
      region: parts.region,
      get replica() {
        return slot.held?.replica;
      },
      logger: parts.logger,
      metrics: parts.metrics,
      document: async (id) => {
        const doc = await core.docs.get(id);
        if (doc !== undefined) await core.refresh(doc);
        return doc;
      },
      writeOwn: (doc, delta) => {
        const { fence } = slot.held ?? {};
        const bytes = doc.type.encode(delta);
        return core.applyLocal(doc, bytes, delta, undefined, 'interactive', fence);
      },
      reachablePeers: () => links.filter((l) => l.connected).map((l) => l.region),
      askPeer: (region, request) => links.find((l) => l.region === region)?.askRights(request),
      siblings: () => cluster?.siblings() ?? [],
      askSibling: (relayId, request) => cluster?.askRights(relayId, request),
    },
    parts.policy,
  );
}

/** Node `from` of the region asked for rights: the desk answers, and the node is told. */
export function answerSibling(
  desk: RightsDesk,
  cluster: NodeCluster,
  logger: Logger,
  from: string,
  request: RightsRequest,
): void {
  desk.forSibling(from, request).then(
    (grant) => {
      const { id, doc } = request;
      cluster.answerRights(from, { kind: 'rights-grant', id, doc, ...grant });
    },
    (err: unknown) => logger.error({ err, node: from }, 'rights request of a node failed'),
  );
}
