import type { AddressInfo } from 'node:net';
import type { PeerAuth } from '@helios/core/protocol';
import type { Transport } from '@helios/transport';
import type { Logger } from 'pino';
import type { RelayOptions } from '../options.js';
import type { PeerChannel } from '../peer-channel.js';
import { socketIoPeerTransport } from '../peer-connection.js';
import type { QuicPeerListener } from './quic-peer-listener.js';

/**
 * How a relay's options turn into its peer transport and its QUIC listener. The QUIC modules
 * (and @matrixai/quic's native library) are loaded only when QUIC is used.
 */

/** Whether the relay runs a QUIC listener for peer links: QUIC is its transport, or configured. */
export function quicListening(options: RelayOptions): boolean {
  return options.peerTransport === 'quic' || options.quic !== undefined;
}

/** The transport the relay's peer links dial through (`RelayOptions.peerTransport`). */
export async function peerTransportOf(
  options: RelayOptions,
  logger: Logger,
  maxMessageBytes: number,
): Promise<Transport<PeerAuth>> {
  const chosen = options.peerTransport ?? 'ws';
  if (typeof chosen !== 'string') return chosen;
  if (chosen === 'ws') return socketIoPeerTransport();
  const [{ QuicPeerTransport }, { FallbackPeerTransport }] = await Promise.all([
    import('./quic-peer-transport.js'),
    import('./fallback-peer-transport.js'),
  ]);
  const ports = new Map<string, number>();
  for (const peer of options.peers ?? []) {
    if (peer.quicPort !== undefined) ports.set(peer.url, peer.quicPort);
  }
  const ca = options.quic?.ca;
  const quic = new QuicPeerTransport({
    logger,
    maxMessageBytes,
    ports,
    ...(ca !== undefined ? { ca } : {}),
  });
  return new FallbackPeerTransport(quic, socketIoPeerTransport(), logger);
}

/** What the relay's QUIC listener needs of the relay. */
export interface PeerListenerParts {
  /**
   * Where the relay's HTTP server listens: the QUIC listener binds the same address and port
   * number (UDP), unless `quic.port` is set.
   */
  readonly address: AddressInfo;
  readonly maxMessageBytes: number;
  readonly admit: (hello: unknown) => string;
  readonly serve: (channel: PeerChannel, peer: string) => void;
  readonly logger: Logger;
}

/** Starts the relay's QUIC listener for peer links, with its certificate (docs/quic.md). */
export async function startPeerListener(
  options: RelayOptions,
  parts: PeerListenerParts,
): Promise<QuicPeerListener> {
  const [{ QuicPeerListener }, { listenerIdentity }] = await Promise.all([
    import('./quic-peer-listener.js'),
    import('./quic-tls.js'),
  ]);
  const quic = options.quic ?? {};
  const listener = new QuicPeerListener({
    ...parts,
    host: parts.address.address,
    port: quic.port ?? parts.address.port,
    identity: await listenerIdentity(quic, parts.logger),
  });
  await listener.start();
  parts.logger.info({ port: listener.port }, 'QUIC peer listener started');
  return listener;
}
