import type { PeerAuth } from '@helios/core/protocol';
import type { Transport, TransportConnection, TransportEvents } from '@helios/transport';
import type { Logger } from 'pino';
import type { QuicPeerTransport } from './quic-peer-transport.js';

/** How long a peer URL whose QUIC handshake went unanswered is dialled over WebSocket (ms). */
const UDP_BLOCKED_FOR_MS = 5 * 60_000;

/**
 * `--peer-transport quic`: QUIC, falling back to WebSocket where UDP looks blocked. Each dial
 * tries QUIC first; when nothing answers its handshake in time the same attempt dials `fallback`
 * instead. If that reaches the peer (a firewall dropping UDP, or a peer without a QUIC listener),
 * that peer URL is dialled over `fallback` only for {@link UDP_BLOCKED_FOR_MS}, then QUIC is
 * tried again. If it does not (the peer is down, or cut off from us altogether), UDP is not to
 * blame and the next dial tries QUIC again: a peer that crashed or was partitioned for a few
 * seconds gets its QUIC link back as soon as it answers. A refusal over QUIC (a wrong token, a
 * certificate that does not verify) is no reason to fall back: it is reported as it is, and the
 * link dials again as after any refusal.
 */
export class FallbackPeerTransport implements Transport<PeerAuth> {
  readonly #quic: QuicPeerTransport;
  readonly #fallback: Transport<PeerAuth>;
  readonly #logger: Logger;
  readonly #now: () => number;
  /** Peer URL → until when it is dialled over the fallback. */
  readonly #blocked = new Map<string, number>();

  constructor(
    quic: QuicPeerTransport,
    fallback: Transport<PeerAuth>,
    logger: Logger,
    now: () => number = Date.now,
  ) {
    this.#quic = quic;
    this.#fallback = fallback;
    this.#logger = logger;
    this.#now = now;
  }

  /** Whether dials of `url` go over the fallback for now. */
  fallsBack(url: string): boolean {
    const until = this.#blocked.get(url);
    if (until === undefined) return false;
    if (until > this.#now()) return true;
    this.#blocked.delete(url);
    return false;
  }

  connect(url: string, hello: PeerAuth, events: TransportEvents): TransportConnection {
    if (this.fallsBack(url)) return this.#fallback.connect(url, hello, events);
    let current: TransportConnection;
    let closed = false;
    current = this.#quic.dial(url, hello, {
      message: (bytes) => events.message(bytes),
      closed: () => events.closed(),
      refused: (error) => {
        if (!error.unanswered || closed) {
          const { code, message } = error;
          events.refused(code !== undefined ? { code, message } : { message });
          return;
        }
        let reached = false;
        current = this.#fallback.connect(url, hello, {
          message: (bytes) => {
            // The peer's first message (its welcome): it is up, only UDP went unanswered.
            if (!reached) {
              reached = true;
              this.#logger.warn(
                { url, fallbackMinutes: UDP_BLOCKED_FOR_MS / 60_000 },
                'no answer over QUIC (UDP blocked?): dialling this peer over WebSocket',
              );
              this.#blocked.set(url, this.#now() + UDP_BLOCKED_FOR_MS);
            }
            events.message(bytes);
          },
          closed: () => events.closed(),
          refused: (fallbackError) => events.refused(fallbackError),
        });
      },
    });
    return {
      get connected() {
        return current.connected;
      },
      send: (bytes) => current.send(bytes),
      close: () => {
        closed = true;
        current.close();
      },
    };
  }

  probe(url: string): Promise<boolean> {
    return this.#fallback.probe(url);
  }
}
