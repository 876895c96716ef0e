import type { Welcome } from '@helios/core/protocol';
import { FeedStream } from './feed-stream.js';
import type { FeedSource } from './feed-tail.js';
import type { FeedPort } from './node-ports.js';
import type { PeerChannel } from './peer-channel.js';
import type { Replication } from './replication.js';

/**
 * Serves an admitted peer relay, whichever transport it came by: its `welcome`, then this
 * region's feed as long as the connection lasts (a {@link FeedStream}, which also drops the
 * peer region's presence when the connection ends).
 */
export function servePeer(
  channel: PeerChannel,
  peer: string,
  welcome: Welcome,
  parts: { readonly port: FeedPort; readonly feed: FeedSource; readonly replication: Replication },
): void {
  channel.send(welcome);
  const feed = new FeedStream(parts.port, channel, peer, parts.feed);
  parts.replication.addFeed(feed);
  channel.onClose(() => parts.replication.removeFeed(feed));
}
