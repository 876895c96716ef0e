/** The peer transports a relay can dial its peers with by name (`RelayOptions.peerTransport`). */
export const PEER_TRANSPORTS = ['ws', 'quic'] as const;

/** `'ws'` (Socket.IO over WebSocket) or `'quic'` (QUIC over UDP, docs/quic.md). */
export type PeerTransportName = (typeof PEER_TRANSPORTS)[number];
