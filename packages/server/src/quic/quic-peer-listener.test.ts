import {
  decodeMessage,
  encodeMessage,
  type Message,
  PROTOCOL_VERSION,
} from '@helios/core/protocol';
import { freePort } from '@helios/test-kit';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { RelayError } from '../errors.js';
import type { PeerChannel } from '../peer-channel.js';
import { closeCode, json, rawDial } from '../test-support/quic-dialer.js';
import { encodeFrame, readFrames } from './quic-framing.js';
import { QuicPeerListener } from './quic-peer-listener.js';
import { QuicCloseCode } from './quic-settings.js';
import { listenerIdentity } from './quic-tls.js';

const open: { close(): unknown }[] = [];
afterEach(async () => {
  for (const c of open.splice(0).reverse()) await c.close();
});

const silent = pino({ level: 'silent' });

/** A listener admitting any handshake naming a peer, its channels collected. */
async function listener(options: { handshakeDeadlineMs?: number; maxPendingHandshakes?: number }) {
  const served: { channel: PeerChannel; peer: string; received: Message[] }[] = [];
  const l = new QuicPeerListener({
    host: '127.0.0.1',
    port: await freePort(),
    identity: await listenerIdentity({}, silent),
    maxMessageBytes: 64 * 1024,
    admit: (hello) => {
      const peer = (hello as { peer?: unknown }).peer;
      if (typeof peer !== 'string') throw new RelayError('bad-hello', 'no peer');
      return peer;
    },
    serve: (channel, peer) => {
      const entry = { channel, peer, received: [] as Message[] };
      channel.onMessage((bytes) => entry.received.push(decodeMessage(bytes)));
      served.push(entry);
    },
    logger: silent,
    ...options,
  });
  await l.start();
  open.push(l);
  return { l, served };
}

describe('QuicPeerListener', () => {
  it('closes a connection that sends no handshake by the deadline', async () => {
    const { l } = await listener({ handshakeDeadlineMs: 200 });
    const quiet = await rawDial(open, l.port);
    quiet.connection.newStream('bidi'); // opened, nothing sent
    expect(await closeCode(quiet)).toBe(QuicCloseCode.handshakeTimeout);
  });

  it('closes connections over the bound of pending handshakes at once', async () => {
    const { l } = await listener({ maxPendingHandshakes: 1 });
    await rawDial(open, l.port);
    const second = await rawDial(open, l.port).catch(() => undefined);
    // The library may fail the dial itself when the close comes during its handshake.
    if (second !== undefined) expect(await closeCode(second)).toBe(QuicCloseCode.busy);
  });

  it('serves an admitted peer: control messages both ways, each batch on a stream of its own', async () => {
    const { l, served } = await listener({});
    const dialer = await rawDial(open, l.port);
    const uni: Message[] = [];
    dialer.connection.addEventListener('EventQUICConnectionStream', (evt) => {
      const stream = (evt as unknown as { detail: { readable: ReadableStream<Uint8Array> } })
        .detail;
      readFrames(stream.readable as never, 1 << 20, (f) => uni.push(decodeMessage(f))).catch(
        () => {},
      );
    });
    const control = dialer.connection.newStream('bidi');
    const writer = control.writable.getWriter();
    await writer.write(json({ protocol: PROTOCOL_VERSION, peer: 'eu-west-1', relayId: 'r' }));
    await writer.write(encodeFrame(encodeMessage({ kind: 'feed-request', after: 4 })));
    const answers: Message[] = [];
    readFrames(control.readable, 1 << 20, (f) => answers.push(decodeMessage(f))).catch(() => {});
    await until(() => served[0]?.received.length === 1);
    expect(served[0]!.peer).toBe('eu-west-1');
    expect(served[0]!.received).toEqual([{ kind: 'feed-request', after: 4 }]);
    const channel = served[0]!.channel;
    channel.send({ kind: 'feed-ack', upTo: 1 });
    channel.send(
      { kind: 'feed-batch', after: 4, entries: [{ seq: 5, doc: 'd', delta: new Uint8Array([1]) }] },
      'batch',
    );
    channel.send({ kind: 'feed-state', upTo: 9, entries: [] }, 'batch');
    await until(() => answers.length === 1 && uni.length === 2);
    expect(answers).toEqual([{ kind: 'feed-ack', upTo: 1 }]);
    expect(uni.map((m) => m.kind).sort()).toEqual(['feed-batch', 'feed-state']);
    let closed = false;
    channel.onClose(() => {
      closed = true;
    });
    await dialer.destroy({ force: true });
    await until(() => closed && !channel.open);
  });
});

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(check()).toBe(true);
}
