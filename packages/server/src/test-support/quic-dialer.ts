import { decodeMessage, type Message } from '@helios/core/protocol';
import { errors, QUICClient, events as quicEvents } from '@matrixai/quic';
import { pino } from 'pino';
import { encodeFrame, readFrames } from '../quic/quic-framing.js';
import { quicLogger } from '../quic/quic-logger.js';
import { BASE_CONFIG } from '../quic/quic-settings.js';
import { CLIENT_CRYPTO } from '../quic/quic-tls.js';

/** What tests close after each test. */
type Closable = { close(): unknown };

/** A bare QUIC connection to a relay's listener, for sending it bytes by hand. */
export async function rawDial(open: Closable[], port: number): Promise<QUICClient> {
  const c = await QUICClient.createQUICClient({
    host: '127.0.0.1',
    port,
    localHost: '127.0.0.1',
    crypto: CLIENT_CRYPTO,
    config: { ...BASE_CONFIG, verifyPeer: false },
    logger: quicLogger(pino({ level: 'silent' })),
  });
  open.push({ close: () => c.destroy({ force: true }) });
  return c;
}

/** Sends `bytes` on a control stream; resolves with the messages answered and the close code. */
export async function answerTo(
  open: Closable[],
  port: number,
  bytes: Uint8Array,
): Promise<{ answers: Message[]; closeCode: number | undefined }> {
  const c = await rawDial(open, port);
  const closed = closeCode(c);
  const stream = c.connection.newStream('bidi');
  const writer = stream.writable.getWriter();
  await writer.write(bytes);
  const answers: Message[] = [];
  await readFrames(stream.readable, 1 << 20, (f) => answers.push(decodeMessage(f))).catch(() => {});
  return { answers, closeCode: await closed };
}

/** `value` as JSON in one frame: a handshake, or something posing as one. */
export const json = (value: unknown) =>
  encodeFrame(new TextEncoder().encode(JSON.stringify(value)));

/** Resolves with the application code the connection is closed with by its peer. */
export function closeCode(c: QUICClient): Promise<number | undefined> {
  return new Promise((resolve) =>
    c.addEventListener(quicEvents.EventQUICClientClose.name, (evt) => {
      const error = (evt as quicEvents.EventQUICClientClose).detail;
      resolve(error instanceof errors.ErrorQUICConnectionPeer ? error.data.errorCode : undefined);
    }),
  );
}
