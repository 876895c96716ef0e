import type { PeerAuth } from '@helios/core/protocol';
import type { Transport, TransportConnection, TransportEvents } from '@helios/transport';
import type { Logger } from 'pino';
import type { QuicPeerTransport } from './quic-peer-transport.js';

/** How long a peer that answered over WebSocket, not over QUIC, is dialled over WebSocket (ms). */
const UDP_BLOCKED_FOR_MS = 5 * 60_000;

/**
 * `--peer-transport quic`: QUIC, falling back to WebSocket where UDP looks blocked. Each dial
 * tries QUIC first. When nothing answers its handshake in time (a firewall dropping UDP, a peer
 * without a QUIC listener, or a peer that was down) the peer's `/healthz` is asked: a peer that
 * is not up (down, cut off, or still starting) fails the attempt, and the next dial tries QUIC
 * again; a peer that is up gets one fresh QUIC dial, since the first may have missed its return.
 * When QUIC stays unanswered the same attempt dials `fallback`; if the peer answers there, that
 * peer URL is dialled over `fallback` only for {@link UDP_BLOCKED_FOR_MS}, then QUIC is tried
 * again. A refusal over QUIC (a wrong token, a certificate that does not verify) is no reason to
 * fall back: it is reported as it is, and the link dials again as after any refusal.
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
    let quicDials = 0;
    const dialQuic = (): void => {
      quicDials++;
      current = this.#quic.dial(url, hello, {
        message: (bytes) => events.message(bytes),
        closed: () => events.closed(),
        refused: (error) => {
          if (!error.unanswered || closed) {
            const { code, message } = error;
            events.refused(code !== undefined ? { code, message } : { message });
            return;
          }
          void unanswered();
        },
      });
    };
    const unanswered = async (): Promise<void> => {
      if (quicDials === 1) {
        // A dial that began while the peer was down or restarting re-sends its handshake ever
        // further apart and can miss the peer's return. A peer whose `/healthz` says it is up
        // (every listener bound: a starting relay answers 503) gets one fresh QUIC dial, which
        // it answers at once unless UDP is what is blocked. A peer that is not up is down,
        // cut off or starting: UDP is not to blame, and the link dials it over QUIC again.
        const up = await this.#fallback.probe(url);
        if (closed) return;
        if (up) dialQuic();
        else events.refused({ message: 'the peer answers neither QUIC nor /healthz' });
        return;
      }
      if (closed) return;
      this.#logger.warn({ url }, 'no answer over QUIC (UDP blocked?): dialling over WebSocket');
      // Only a peer that answers over WebSocket shows UDP to be what is blocked: one that is
      // down (killed, restarting, cut off) answers neither, and must be dialled over QUIC
      // again once it is back, not over WebSocket for minutes.
      let answered = false;
      current = this.#fallback.connect(url, hello, {
        message: (bytes) => {
          if (!answered) {
            answered = true;
            this.#blockUdp(url);
          }
          events.message(bytes);
        },
        closed: () => events.closed(),
        refused: (refusal) => events.refused(refusal),
      });
    };
    dialQuic();
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

  /** Dials of `url` go over the fallback for {@link UDP_BLOCKED_FOR_MS} from now. */
  #blockUdp(url: string): void {
    this.#logger.warn(
      { url, fallbackMinutes: UDP_BLOCKED_FOR_MS / 60_000 },
      'peer answered over WebSocket, not QUIC: dialling it over WebSocket for a while',
    );
    this.#blocked.set(url, this.#now() + UDP_BLOCKED_FOR_MS);
  }

  probe(url: string): Promise<boolean> {
    return this.#fallback.probe(url);
  }
}
