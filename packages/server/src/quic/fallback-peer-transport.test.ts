import { type PeerAuth, PROTOCOL_VERSION } from '@helios/core/protocol';
import { freePort } from '@helios/test-kit';
import type { Transport, TransportConnection, TransportEvents } from '@helios/transport';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { RelayError } from '../errors.js';
import { FallbackPeerTransport } from './fallback-peer-transport.js';
import { QuicPeerListener } from './quic-peer-listener.js';
import { type QuicDialEvents, QuicPeerTransport } from './quic-peer-transport.js';
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
 * A fallback that records its dials and answers each with one message, as a peer reached over
 * WebSocket answers with its welcome, then ends the connection; or, when `down`, refuses them
 * as an unreachable peer.
 */
class RecordingFallback implements Transport<PeerAuth> {
  readonly urls: string[] = [];
  down = false;
  connect(url: string, _hello: PeerAuth, events: TransportEvents): TransportConnection {
    this.urls.push(url);
    setTimeout(() => {
      if (this.down) {
        events.refused({ message: 'fallback unreachable' });
        return;
      }
      events.message(new Uint8Array([1]));
      events.closed();
    }, 0);
    return { connected: false, send: () => {}, close: () => {} };
  }
  probe(): Promise<boolean> {
    return Promise.resolve(true);
  }
}

/** How one dial ended: refused (with the error), or reached and then closed (`'closed'`). */
function attempt(transport: Transport<PeerAuth>, url: string) {
  return new Promise<{ code?: string; message: string } | 'closed'>((resolve) => {
    transport.connect(url, hello, {
      message: () => {},
      closed: () => resolve('closed'),
      refused: resolve,
    });
  });
}

describe('FallbackPeerTransport', () => {
  it('dials WebSocket when QUIC is unanswered, and keeps doing so for a while', async () => {
    let now = 1_000;
    const [quic, ws] = [new CountedQuic(), new RecordingFallback()];
    const transport = new FallbackPeerTransport(quic, ws, silent, () => now);
    const url = `http://127.0.0.1:${await freePort()}`; // nothing listens on its UDP port
    expect(await attempt(transport, url)).toBe('closed'); // reached over WebSocket
    expect([quic.dials, ws.urls.length]).toEqual([1, 1]);
    await attempt(transport, url);
    expect([quic.dials, ws.urls.length]).toEqual([1, 2]); // straight to WebSocket
    now += 5 * 60_000 + 1;
    await attempt(transport, url);
    expect([quic.dials, ws.urls.length]).toEqual([2, 3]); // QUIC is tried again
  });

  it('tries QUIC again next time when WebSocket did not reach the peer either', async () => {
    const [quic, ws] = [new CountedQuic(), new RecordingFallback()];
    ws.down = true; // a peer that is down, or cut off: UDP is not what failed
    const transport = new FallbackPeerTransport(quic, ws, silent);
    const url = `http://127.0.0.1:${await freePort()}`;
    expect(await attempt(transport, url)).toEqual({ message: 'fallback unreachable' });
    expect(transport.fallsBack(url)).toBe(false);
    ws.down = false; // back, but still without an answer over UDP
    expect(await attempt(transport, url)).toBe('closed');
    expect([quic.dials, ws.urls.length]).toEqual([2, 2]);
    expect(transport.fallsBack(url)).toBe(true);
  });

  it('does not fall back when the peer refuses over QUIC', async () => {
    const listener = new QuicPeerListener({
      host: '127.0.0.1',
      port: await freePort(),
      identity: await listenerIdentity({}, silent),
      maxMessageBytes: 1 << 20,
      admit: () => {
        throw new RelayError('unauthenticated', 'wrong peer token');
      },
      serve: () => {},
      logger: silent,
    });
    await listener.start();
    open.push(listener);
    const [quic, ws] = [new CountedQuic(), new RecordingFallback()];
    const transport = new FallbackPeerTransport(quic, ws, silent);
    const refusal = await attempt(transport, `http://127.0.0.1:${listener.port}`);
    expect(refusal).toEqual({ code: 'unauthenticated', message: 'wrong peer token' });
    expect(ws.urls).toEqual([]);
  });
});
