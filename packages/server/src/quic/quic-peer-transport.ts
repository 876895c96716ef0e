import { lookup } from 'node:dns/promises';
import type { WritableStreamDefaultWriter } from 'node:stream/web';
import { decodeMessage, type PeerAuth } from '@helios/core/protocol';
import type { Transport, TransportConnection, TransportEvents } from '@helios/transport';
import { errors, QUICClient, type QUICStream, events as quicEvents } from '@matrixai/quic';
import type { Logger } from 'pino';
import { FEED_WINDOW } from '../feed-stream.js';
import type { QuicDialEvents, QuicRefusal } from './quic-dial-events.js';
import { encodeFrame, FRAME_SLACK_BYTES, readFrames } from './quic-framing.js';
import { quicLogger } from './quic-logger.js';
import { RenewingQuicConnection } from './quic-renewal.js';
import { BASE_CONFIG, QuicCloseCode } from './quic-settings.js';
import { CLIENT_CRYPTO } from './quic-tls.js';

/** How long a QUIC handshake may go unanswered before the attempt counts as unreachable (ms). */
const ANSWER_TIMEOUT_MS = 3_000;
/** How long the peer may take to answer the Helios handshake with `welcome` (ms). */
const WELCOME_TIMEOUT_MS = 20_000;

export interface QuicPeerTransportOptions {
  /** The relay's logger (the library's own log goes to it at debug level). */
  readonly logger: Logger;
  /**
   * CA certificate(s), PEM: the peer's certificate must chain to one and name the host of the
   * peer URL. Without it the peer's certificate is not verified, and the peer token is what
   * authenticates the link, as over plain ws (docs/quic.md).
   */
  readonly ca?: string;
  /** UDP port per peer URL, where it is not the URL's port (`PeerConfig.quicPort`). */
  readonly ports?: ReadonlyMap<string, number>;
  /** Largest message accepted from a peer (bytes): the relay's `maxMessageBytes`. */
  readonly maxMessageBytes: number;
  /** Default 3 s. */
  readonly answerTimeoutMs?: number;
  /** Default 20 s, as the Socket.IO peer links' handshake timeout. */
  readonly welcomeTimeoutMs?: number;
}

/**
 * Dials peer relays over QUIC (docs/quic.md): the UDP port of the peer URL's host and port
 * (or `ports`), ALPN `helios-peer/1`. The dialer opens one bidirectional control stream and
 * writes its {@link PeerAuth} as JSON in the first frame; the peer answers on it with `welcome`
 * (then protocol messages both ways), or with an `error` message and closes the connection. The
 * peer sends each `feed-batch` and `feed-state` on a unidirectional stream of its own; each is
 * handed on as soon as its stream is complete, so a lost packet holds up only its own batch
 * (the link takes batches in any order: each names the position it continues from).
 *
 * QUIC session resumption and 0-RTT are not used: @matrixai/quic does not expose them to
 * JavaScript, so every dial is a full handshake (one round trip more than a resumed one).
 */
export class QuicPeerTransport implements Transport<PeerAuth> {
  readonly #options: QuicPeerTransportOptions;
  readonly #maxFrameBytes: number;

  constructor(options: QuicPeerTransportOptions) {
    this.#options = options;
    this.#maxFrameBytes = options.maxMessageBytes + FRAME_SLACK_BYTES;
  }

  connect(url: string, hello: PeerAuth, events: TransportEvents): TransportConnection {
    return this.dial(url, hello, events);
  }

  /** {@link connect}, telling an unanswered attempt from a refusal. */
  dial(url: string, hello: PeerAuth, events: QuicDialEvents): TransportConnection {
    return new RenewingQuicConnection((attemptEvents) => {
      const attempt = new QuicAttempt(this.#options, this.#maxFrameBytes, attemptEvents);
      void attempt.open(url, hello);
      return attempt;
    }, events);
  }

  async probe(url: string): Promise<boolean> {
    try {
      const res = await fetch(new URL('/healthz', url), { signal: AbortSignal.timeout(2_000) });
      return res.ok;
    } catch {
      return false;
    }
  }
}

/** One dial of a {@link QuicPeerTransport}, and the connection it opens. */
class QuicAttempt implements TransportConnection {
  readonly #options: QuicPeerTransportOptions;
  readonly #maxFrameBytes: number;
  readonly #events: QuicDialEvents;
  #client: QUICClient | undefined;
  #control: WritableStreamDefaultWriter<Uint8Array> | undefined;
  #welcomed = false;
  /** Refuses the attempt if `welcome` is late; cleared when it comes. */
  #welcomeTimer: ReturnType<typeof setTimeout> | undefined;
  /** An event ended the attempt, or the caller closed it: nothing more is reported. */
  #over = false;

  constructor(options: QuicPeerTransportOptions, maxFrameBytes: number, events: QuicDialEvents) {
    this.#options = options;
    this.#maxFrameBytes = maxFrameBytes;
    this.#events = events;
  }

  get connected(): boolean {
    return this.#welcomed && !this.#over;
  }

  send(bytes: Uint8Array): void {
    if (!this.connected) return;
    this.#control?.write(encodeFrame(bytes)).catch(() => this.#end());
  }

  close(): void {
    this.#over = true;
    this.#stop(QuicCloseCode.done);
  }

  async open(url: string, hello: PeerAuth): Promise<void> {
    this.#welcomeTimer = setTimeout(
      () => this.#refuse({ message: 'no welcome from the peer in time', unanswered: false }),
      this.#options.welcomeTimeoutMs ?? WELCOME_TIMEOUT_MS,
    );
    try {
      const client = await this.#handshake(url);
      if (this.#over) {
        await client.destroy({ force: true });
        return;
      }
      this.#client = client;
      client.addEventListener(
        quicEvents.EventQUICClientClose.name,
        (evt) => this.#closedBy((evt as quicEvents.EventQUICClientClose).detail),
        { once: true },
      );
      client.connection.addEventListener(quicEvents.EventQUICConnectionStream.name, (evt) => {
        const stream = (evt as quicEvents.EventQUICConnectionStream).detail;
        void this.#readBatchStream(stream);
      });
      const control = client.connection.newStream('bidi');
      this.#control = control.writable.getWriter();
      await this.#control.write(encodeFrame(new TextEncoder().encode(JSON.stringify(hello))));
      await readFrames(control.readable, this.#maxFrameBytes, (frame) => this.#controlFrame(frame));
      this.#end(); // the peer ended the control stream: the link is over
    } catch (err) {
      this.#fail(err);
    } finally {
      clearTimeout(this.#welcomeTimer);
    }
  }

  /** A QUIC connection to the peer, within the answer timeout. */
  async #handshake(url: string): Promise<QUICClient> {
    const { hostname, port } = new URL(url);
    const serverName = hostname.replace(/^\[|\]$/g, '');
    const { address, family } = await lookup(serverName);
    const { ca, ports, logger } = this.#options;
    return QUICClient.createQUICClient(
      {
        host: address,
        port: ports?.get(url) ?? Number(port || 80),
        serverName,
        localHost: family === 6 ? '::' : '0.0.0.0',
        crypto: CLIENT_CRYPTO,
        config: {
          ...BASE_CONFIG,
          // A batch stream each for up to a feed window of batches in flight (one entry each
          // at worst): the peer never runs out of streams while the window lets it send.
          initialMaxStreamsUni: FEED_WINDOW,
          ...(ca !== undefined ? { verifyPeer: true, ca } : { verifyPeer: false }),
        },
        logger: quicLogger(logger),
      },
      { timer: this.#options.answerTimeoutMs ?? ANSWER_TIMEOUT_MS },
    );
  }

  /** A frame on the control stream: the handshake's answer first, then protocol messages. */
  #controlFrame(frame: Uint8Array): void {
    if (frame.length === 0) {
      // No message: the listener's hint that this connection migrated (PATH_CHANGED_FRAME).
      if (this.#welcomed) this.#events.pathChanged?.();
      return;
    }
    if (this.#welcomed) {
      this.#message(frame);
      return;
    }
    const answer = decodeMessage(frame);
    if (answer.kind === 'welcome') {
      // The timer must go now, not when the link ends: it would refuse a live link.
      clearTimeout(this.#welcomeTimer);
      this.#welcomed = true;
      this.#message(frame);
    } else if (answer.kind === 'error') {
      this.#refuse({ code: answer.code, message: answer.message, unanswered: false });
    } else {
      throw new Error(`the peer answered the handshake with ${answer.kind}`);
    }
  }

  /**
   * A batch stream: its message is handed on as soon as it is complete, whatever the streams
   * opened before it are waiting for (a lost packet holds up only its own stream). The link
   * takes feed batches in any order (each names the position it continues from, `after`).
   */
  async #readBatchStream(stream: QUICStream): Promise<void> {
    try {
      if (stream.type !== 'uni') throw new Error('the peer opened a bidirectional stream');
      await readFrames(stream.readable, this.#maxFrameBytes, (frame) => this.#message(frame));
    } catch (err) {
      this.#fail(err);
    }
  }

  #message(bytes: Uint8Array): void {
    if (this.connected) this.#events.message(bytes);
  }

  /** Something went wrong: a refusal before `welcome`, the end of the link after it. */
  #fail(err: unknown): void {
    if (this.#welcomed) {
      this.#end();
      return;
    }
    const unanswered = err instanceof errors.ErrorQUICClientCreateTimeout;
    this.#refuse({ message: err instanceof Error ? err.message : String(err), unanswered });
  }

  #refuse(refusal: QuicRefusal): void {
    if (this.#over) return;
    this.#over = true;
    this.#stop(QuicCloseCode.done);
    this.#events.refused(refusal);
  }

  /**
   * The connection closed. A refusal's close carries the `error` message's code and text as its
   * reason too, in case the close overtakes the control stream's frame.
   */
  #closedBy(error: unknown): void {
    const data = error instanceof errors.ErrorQUICConnectionPeer ? error.data : undefined;
    if (!this.#welcomed && data?.isApp && data.errorCode === QuicCloseCode.refused) {
      const reason = parseRefusal(data.reason);
      if (reason !== undefined) {
        this.#refuse({ ...reason, unanswered: false });
        return;
      }
    }
    this.#end();
  }

  /** The connection ended (either side): `closed` once welcomed, else a refusal. */
  #end(): void {
    if (!this.#welcomed) {
      this.#refuse({ message: 'the peer closed the connection', unanswered: false });
      return;
    }
    if (this.#over) return;
    this.#over = true;
    this.#stop(QuicCloseCode.done);
    this.#events.closed();
  }

  #stop(code: number): void {
    const client = this.#client;
    this.#client = undefined;
    client?.destroy({ isApp: true, errorCode: code, force: true }).catch(() => {});
  }
}

/** A refusal's close reason: `{code, message}` as JSON (see QuicPeerListener). */
function parseRefusal(reason: Uint8Array): { code: string; message: string } | undefined {
  try {
    const parsed = JSON.parse(new TextDecoder().decode(reason)) as unknown;
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const { code, message } = parsed as { code?: unknown; message?: unknown };
    return typeof code === 'string' && typeof message === 'string' ? { code, message } : undefined;
  } catch {
    return undefined;
  }
}
