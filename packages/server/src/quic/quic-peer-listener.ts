import type { WritableStreamDefaultWriter } from 'node:stream/web';
import { encodeMessage } from '@helios/core/protocol';
import {
  type QUICConnection,
  QUICServer,
  type QUICStream,
  events as quicEvents,
} from '@matrixai/quic';
import type { Logger } from 'pino';
import { RelayError } from '../errors.js';
import type { PeerChannel } from '../peer-channel.js';
import { encodeFrame, FRAME_SLACK_BYTES, FrameTooLargeError, readFrames } from './quic-framing.js';
import { quicLogger } from './quic-logger.js';
import { QuicPeerChannel } from './quic-peer-channel.js';
import { BASE_CONFIG, QuicCloseCode } from './quic-settings.js';
import { type QuicIdentity, serverCrypto } from './quic-tls.js';

/** How long a connection may take to send its handshake and be answered (ms). */
const HANDSHAKE_DEADLINE_MS = 10_000;
/** Connections waiting for their handshake at once; more are closed at once. */
const MAX_PENDING_HANDSHAKES = 32;

export interface QuicPeerListenerOptions {
  readonly host: string;
  readonly port: number;
  readonly identity: QuicIdentity;
  /** The relay's `maxMessageBytes`: frames up to it (and a little slack) are read. */
  readonly maxMessageBytes: number;
  /**
   * Checks a dialer's handshake exactly as a Socket.IO peer's is checked: returns the peer's
   * region or throws (a {@link RelayError} says why).
   */
  readonly admit: (hello: unknown) => string;
  /** Serves an admitted peer, as a Socket.IO peer is served. */
  readonly serve: (channel: PeerChannel, peer: string) => void;
  readonly logger: Logger;
  readonly handshakeDeadlineMs?: number;
  readonly maxPendingHandshakes?: number;
}

/**
 * The relay's QUIC listener for peer links (docs/quic.md). A dialer opens one bidirectional
 * control stream and sends its handshake (its `PeerAuth` as JSON) in the first frame; the
 * listener admits it through the relay's admission, as a Socket.IO peer, and hands it to the
 * relay as a {@link PeerChannel}; a refusal is an `error` message on the control stream and a
 * close with {@link QuicCloseCode.refused}. The dialer may open no other stream: the listener
 * grants it one bidirectional stream and no unidirectional one, and closes a connection that
 * opens another anyway, sends a frame over the limit, or has not been admitted by the deadline.
 */
export class QuicPeerListener {
  readonly #options: QuicPeerListenerOptions;
  readonly #maxFrameBytes: number;
  readonly #server: QUICServer;
  readonly #channels = new Set<QuicPeerChannel>();
  #pending = 0;

  constructor(options: QuicPeerListenerOptions) {
    this.#options = options;
    this.#maxFrameBytes = options.maxMessageBytes + FRAME_SLACK_BYTES;
    this.#server = new QUICServer({
      crypto: serverCrypto(),
      config: {
        ...BASE_CONFIG,
        key: options.identity.key,
        cert: options.identity.cert,
        verifyPeer: false,
        initialMaxStreamsBidi: 1,
        initialMaxStreamsUni: 0,
      },
      logger: quicLogger(options.logger),
    });
    this.#server.addEventListener(quicEvents.EventQUICServerConnection.name, (evt) => {
      this.#connection((evt as quicEvents.EventQUICServerConnection).detail);
    });
  }

  /** The UDP port it listens on. */
  get port(): number {
    return this.#server.port;
  }

  async start(): Promise<void> {
    await this.#server.start({ host: this.#options.host, port: this.#options.port });
  }

  /** Closes every peer's connection and stops listening. */
  async close(): Promise<void> {
    for (const channel of this.#channels) channel.close();
    await this.#server.stop({ isApp: true, errorCode: QuicCloseCode.done, force: true });
  }

  #connection(connection: QUICConnection): void {
    if (this.#pending >= (this.#options.maxPendingHandshakes ?? MAX_PENDING_HANDSHAKES)) {
      stop(connection, QuicCloseCode.busy);
      return;
    }
    this.#pending++;
    let waiting = true;
    const admitted = () => {
      if (!waiting) return;
      waiting = false;
      this.#pending--;
      clearTimeout(deadline);
    };
    const deadline = setTimeout(() => {
      admitted();
      stop(connection, QuicCloseCode.handshakeTimeout);
    }, this.#options.handshakeDeadlineMs ?? HANDSHAKE_DEADLINE_MS);
    void connection.closedP.then(admitted);
    let control: QUICStream | undefined;
    connection.addEventListener(quicEvents.EventQUICConnectionStream.name, (evt) => {
      const stream = (evt as quicEvents.EventQUICConnectionStream).detail;
      if (control === undefined && stream.type === 'bidi') {
        control = stream;
        void this.#serveControl(connection, stream, admitted);
      } else {
        stream.cancel(new Error('one control stream per peer connection'));
        stop(connection, QuicCloseCode.badStream);
      }
    });
  }

  /** Reads the control stream: the handshake, then the admitted peer's messages. */
  async #serveControl(
    connection: QUICConnection,
    stream: QUICStream,
    admitted: () => void,
  ): Promise<void> {
    const writer = stream.writable.getWriter();
    let channel: QuicPeerChannel | undefined;
    try {
      await readFrames(stream.readable, this.#maxFrameBytes, (frame) => {
        if (channel !== undefined) {
          channel.received(frame);
          return;
        }
        const peer = this.#handshake(frame);
        admitted();
        channel = new QuicPeerChannel(connection, writer, this.#options.logger);
        this.#channels.add(channel);
        channel.onClose(() => this.#channels.delete(channel!));
        this.#options.serve(channel, peer);
      });
      stop(connection, QuicCloseCode.done); // the dialer ended its control stream
    } catch (err) {
      if (err instanceof RelayError) {
        await refuse(connection, writer, err);
      } else {
        this.#options.logger.debug({ err }, 'closing a QUIC peer connection');
        stop(
          connection,
          err instanceof FrameTooLargeError ? QuicCloseCode.badFrame : QuicCloseCode.done,
        );
      }
    }
  }

  /** The dialer's first frame: its handshake. Returns its region, or throws a RelayError. */
  #handshake(frame: Uint8Array): string {
    let hello: unknown;
    try {
      hello = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(frame));
    } catch {
      throw new RelayError('bad-hello', 'the handshake is not JSON');
    }
    return this.#options.admit(hello);
  }
}

/** Answers a refused handshake with an `error` message, then closes the connection. */
async function refuse(
  connection: QUICConnection,
  writer: WritableStreamDefaultWriter<Uint8Array>,
  err: RelayError,
): Promise<void> {
  const answer = { code: err.code, message: err.message };
  try {
    await writer.write(encodeFrame(encodeMessage({ kind: 'error', ...answer })));
    await writer.close();
  } catch {
    // The dialer may be gone already; the close below carries the answer as well.
  }
  // The close's reason repeats the answer: the close may reach the dialer before the stream.
  const reason = new TextEncoder().encode(JSON.stringify(answer));
  connection
    .stop({ isApp: true, errorCode: QuicCloseCode.refused, reason, force: true })
    .catch(() => {});
}

function stop(connection: QUICConnection, code: number): void {
  connection.stop({ isApp: true, errorCode: code, force: true }).catch(() => {});
}
