import type { WritableStreamDefaultWriter } from 'node:stream/web';
import { encodeMessage, type Message } from '@helios/core/protocol';
import type { QUICConnection } from '@matrixai/quic';
import type { Logger } from 'pino';
import type { PeerChannel, PeerLane } from '../peer-channel.js';
import { encodeFrame, PATH_CHANGED_FRAME } from './quic-framing.js';
import { QuicCloseCode } from './quic-settings.js';

/**
 * An admitted peer's QUIC connection as a {@link PeerChannel}: `control` messages go on the
 * control stream the peer opened, in order; each `batch` message goes on a unidirectional
 * stream of its own, so a large batch does not hold up the control stream's acks, presence or
 * rights grants, and a lost packet holds up only the batch it carried (the peer's link takes
 * batches in any order: each names the position it continues from).
 */
export class QuicPeerChannel implements PeerChannel {
  readonly #connection: QUICConnection;
  readonly #control: WritableStreamDefaultWriter<Uint8Array>;
  readonly #logger: Logger;
  readonly #messageListeners: ((bytes: Uint8Array) => void)[] = [];
  readonly #closeListeners: (() => void)[] = [];
  #open = true;
  /** Where the dialer's packets come from: a change is a migration (see PATH_CHANGED_FRAME). */
  #host: string;
  #port: number;

  constructor(
    connection: QUICConnection,
    control: WritableStreamDefaultWriter<Uint8Array>,
    logger: Logger,
  ) {
    this.#connection = connection;
    this.#control = control;
    this.#logger = logger;
    this.#host = connection.remoteHost;
    this.#port = connection.remotePort;
    void connection.closedP.then(() => this.ended());
  }

  get open(): boolean {
    return this.#open;
  }

  send(message: Message, lane: PeerLane = 'control'): number {
    const bytes = encodeMessage(message);
    if (!this.#open) return bytes.length;
    const frame = encodeFrame(bytes);
    this.#notePath();
    if (lane === 'control') {
      this.#control.write(frame).catch((err: unknown) => this.#failed(err));
    } else {
      void this.#sendOnStream(frame);
    }
    return bytes.length;
  }

  async #sendOnStream(frame: Uint8Array): Promise<void> {
    try {
      const writer = this.#connection.newStream('uni').writable.getWriter();
      await writer.write(frame);
      await writer.close();
    } catch (err) {
      // A batch the peer does not get would leave a gap: the link must start over from its
      // cursor, on a new connection.
      this.#failed(err);
    }
  }

  onMessage(listener: (bytes: Uint8Array) => void): void {
    this.#messageListeners.push(listener);
  }

  onClose(listener: () => void): void {
    this.#closeListeners.push(listener);
  }

  /** A message the peer sent on the control stream. */
  received(bytes: Uint8Array): void {
    if (!this.#open) return;
    this.#notePath();
    for (const listener of this.#messageListeners) listener(bytes);
  }

  close(code: number = QuicCloseCode.done): void {
    if (!this.#open) return;
    this.#connection
      .stop({ isApp: true, errorCode: code, force: true })
      .catch(() => {})
      .finally(() => this.ended());
  }

  /** The connection is over: the listeners hear it once. */
  ended(): void {
    if (!this.#open) return;
    this.#open = false;
    for (const listener of this.#closeListeners) listener();
  }

  /**
   * Tells the dialer once its packets come from a new address: the library migrated the
   * connection and cannot do it twice, so the dialer opens a replacement before a second
   * rebinding would leave this one silent.
   */
  #notePath(): void {
    const { remoteHost, remotePort } = this.#connection;
    if (remoteHost === this.#host && remotePort === this.#port) return;
    this.#host = remoteHost;
    this.#port = remotePort;
    this.#logger.debug(
      { host: remoteHost, port: remotePort },
      'a QUIC peer link migrated; asking the dialer to renew it',
    );
    this.#control.write(PATH_CHANGED_FRAME).catch((err: unknown) => this.#failed(err));
  }

  #failed(err: unknown): void {
    if (!this.#open) return;
    this.#logger.debug({ err }, 'sending to a QUIC peer failed; closing its connection');
    this.close();
  }
}
