import type { LinkPort } from './node-ports.js';
import type { RelayOptions } from './options.js';
import { PeerLink } from './peer-link.js';
import type { QuicPeerListener } from './quic/quic-peer-listener.js';
import {
  type PeerListenerParts,
  peerTransportOf,
  quicListening,
  startPeerListener,
} from './quic/relay-quic.js';

/** What a relay's peering needs of the relay, once its HTTP server listens. */
export interface PeeringParts extends PeerListenerParts {
  readonly linkPort: LinkPort;
  /** Where the links are kept: the relay's health, admin and presence read them. */
  readonly links: PeerLink[];
}

/**
 * Starts a relay's peering: the QUIC listener for peer links when QUIC is enabled
 * (docs/quic.md), then a link to each configured peer, dialling through the peer transport the
 * options name. Resolves with the listener, if any, for the relay to close.
 */
export async function startPeering(
  options: RelayOptions,
  parts: PeeringParts,
): Promise<QuicPeerListener | undefined> {
  const listener = quicListening(options) ? await startPeerListener(options, parts) : undefined;
  const { peers = [], store, peerToken } = options;
  const transport = await peerTransportOf(options, parts.logger, parts.maxMessageBytes);
  for (const peer of peers) {
    const link = new PeerLink(parts.linkPort, peer, store, peerToken, transport);
    parts.links.push(link);
    link.start();
  }
  return listener;
}
