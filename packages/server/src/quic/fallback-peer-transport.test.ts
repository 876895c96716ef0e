import { type PeerAuth, PROTOCOL_VERSION } from '@helios/core/protocol';
import { freePort } from '@helios/test-kit';
import type { Transport, TransportConnection, TransportEvents } from '@helios/transport';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { RelayError } from '../errors.js';
import { FallbackPeerTransport } from './fallback-peer-transport.js';
import type { QuicDialEvents } from './quic-dial-events.js';
import { QuicPeerListener } from './quic-peer-listener.js';
import { QuicPeerTransport } from './quic-peer-transport.js';
import { listenerIdentity } from './quic-tls.js';

const open: { close(): unknown }[] = [];
afterEach(async () => {
  for (const c of open.splice(0).reverse()) await c.close();
});

const silent = pino({ level: 'silent' });
const hello: PeerAuth = { protocol: PROTOCOL_VERSION, peer: 'us-east-1', relayId: 'r' };

/** QUIC with a short answer timeout, counting its dials. */
class CountedQuic extends QuicPeerTransport {
  dials = 0;
  constructor() {
    super({ logger: silent, maxMessageBytes: 1 << 20, answerTimeoutMs: 300 });
  }
  override dial(url: string, auth: PeerAuth, events: QuicDialEvents): TransportConnection {
    this.dials++;
    const connection = super.dial(url, auth, events);
    open.push(connection);
    return connection;
  }
}

/**
 * A fallback that records its dials and either answers them (one message: the peer is up, only
 * its UDP is blocked) or refuses them (the peer is down). What matters is that it was asked.
 */
class RecordingFallback implements Transport<PeerAuth> {
  readonly urls: string[] = [];
  constructor(readonly answers: boolean) {}
  connect(url: string, _hello: PeerAuth, events: TransportEvents): TransportConnection {
    this.urls.push(url);
    setTimeout(() => {
      if (this.answers) events.message(new Uint8Array([1]));
      else events.refused({ message: 'fallback dialled' });
    }, 0);
    return { connected: this.answers, send: () => {}, close: () => {} };
  }
  /** The peer's HTTP answers when it answers WebSocket dials: it is up. */
  probe(): Promise<boolean> {
    return Promise.resolve(this.answers);
  }
}

/** Dials `url` once: resolves with the refusal, or with `'answered'` at the first message. */
function attempt(transport: Transport<PeerAuth>, url: string) {
  return new Promise<{ code?: string; message: string } | 'answered'>((resolve) => {
    const connection = transport.connect(url, hello, {
      message: () => {
        connection.close();
        resolve('answered');
      },
      closed: () => {},
      refused: resolve,
    });
  });
}

/** A QUIC peer listener on `port` refusing every dialer's token. */
async function refusingListener(port: number): Promise<QuicPeerListener> {
  return new QuicPeerListener({
    host: '127.0.0.1',
    port,
    identity: await listenerIdentity({}, silent),
    maxMessageBytes: 1 << 20,
    admit: () => {
      throw new RelayError('unauthenticated', 'wrong peer token');
    },
    serve: () => {},
    logger: silent,
  });
}

describe('FallbackPeerTransport', () => {
  it('dials WebSocket when QUIC is unanswered, and keeps doing so for a while if it answers', async () => {
    let now = 1_000;
    const [quic, ws] = [new CountedQuic(), new RecordingFallback(true)];
    const transport = new FallbackPeerTransport(quic, ws, silent, () => now);
    const url = `http://127.0.0.1:${await freePort()}`; // nothing listens on its UDP port
    expect(await attempt(transport, url)).toBe('answered');
    // The peer is up (it answers a probe): QUIC is dialled once more before WebSocket.
    expect([quic.dials, ws.urls.length]).toEqual([2, 1]);
    await attempt(transport, url);
    expect([quic.dials, ws.urls.length]).toEqual([2, 2]); // straight to WebSocket
    now += 5 * 60_000 + 1;
    await attempt(transport, url);
    expect([quic.dials, ws.urls.length]).toEqual([4, 3]); // QUIC is tried again
  });

  it('dials QUIC first again, never WebSocket, when the peer is not up (down or starting)', async () => {
    // A killed, cut-off or starting peer (its /healthz does not say ok) says nothing about UDP:
    // once it is up its link must come up over QUIC, not WebSocket for minutes. A starting
    // relay's Socket.IO may answer before its QUIC listener is bound.
    const [quic, ws] = [new CountedQuic(), new RecordingFallback(false)];
    const transport = new FallbackPeerTransport(quic, ws, silent);
    const url = `http://127.0.0.1:${await freePort()}`;
    expect(await attempt(transport, url)).toEqual({
      message: 'the peer answers neither QUIC nor /healthz',
    });
    expect([quic.dials, ws.urls.length]).toEqual([1, 0]);
    await attempt(transport, url);
    expect([quic.dials, ws.urls.length]).toEqual([2, 0]);
  });

  it('dials QUIC afresh when a peer that was down came back during the unanswered dial', async () => {
    // The first dial's handshake packets went to a closed port; the peer starts before the dial
    // gives up but after the last of them (they are re-sent about a second apart).
    const port = await freePort();
    const [quic, ws] = [new CountedQuic(), new RecordingFallback(true)];
    const transport = new FallbackPeerTransport(quic, ws, silent);
    const listener = await refusingListener(port); // not listening yet
    const answer = attempt(transport, `http://127.0.0.1:${port}`);
    await new Promise((r) => setTimeout(r, 100));
    await listener.start();
    open.push(listener);
    // The refusal comes over QUIC: the second dial reached the peer, WebSocket was not dialled.
    expect(await answer).toEqual({ code: 'unauthenticated', message: 'wrong peer token' });
    expect([quic.dials, ws.urls]).toEqual([2, []]);
  });

  it('does not fall back when the peer refuses over QUIC', async () => {
    const listener = await refusingListener(await freePort());
    await listener.start();
    open.push(listener);
    const [quic, ws] = [new CountedQuic(), new RecordingFallback(false)];
    const transport = new FallbackPeerTransport(quic, ws, silent);
    const refusal = await attempt(transport, `http://127.0.0.1:${listener.port}`);
    expect(refusal).toEqual({ code: 'unauthenticated', message: 'wrong peer token' });
    expect(ws.urls).toEqual([]);
  });
});
