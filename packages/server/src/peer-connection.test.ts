import { type PeerAuth, PROTOCOL_VERSION } from '@helios/core/protocol';
import type { Transport, TransportConnection, TransportEvents } from '@helios/transport';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PeerConnection, type PeerConnectionEvents } from './peer-connection.js';

const hello: PeerAuth = { protocol: PROTOCOL_VERSION, peer: 'us-east-1', relayId: 'us-east-1-a' };

/** A transport whose dials the test answers by hand. */
class ScriptedTransport implements Transport<PeerAuth> {
  readonly dials: { events: TransportEvents; closed: boolean; sent: Uint8Array[] }[] = [];
  /** Dials still to refuse before `connect` returns. */
  refuseAtOnce = 0;

  connect(_url: string, _hello: PeerAuth, events: TransportEvents): TransportConnection {
    const dial = { events, closed: false, sent: [] as Uint8Array[] };
    this.dials.push(dial);
    if (this.refuseAtOnce > 0) {
      this.refuseAtOnce--;
      events.refused({ message: 'no route' });
    }
    return {
      connected: true,
      send: (bytes) => dial.sent.push(bytes),
      close: () => {
        dial.closed = true;
      },
    };
  }

  async probe(): Promise<boolean> {
    return true;
  }

  last() {
    return this.dials[this.dials.length - 1]!;
  }
}

function connection(refuseAtOnce = 0) {
  const transport = new ScriptedTransport();
  transport.refuseAtOnce = refuseAtOnce;
  const seen = { messages: 0, closed: 0, failed: [] as (string | undefined)[] };
  const events: PeerConnectionEvents = {
    message: () => seen.messages++,
    closed: () => seen.closed++,
    failed: (error) => seen.failed.push(error.code),
  };
  const conn = new PeerConnection(transport, 'http://peer', hello, events);
  conn.start();
  return { transport, conn, seen };
}

beforeEach(() => {
  vi.useFakeTimers();
  // No jitter: each delay is exactly its nominal value.
  vi.spyOn(Math, 'random').mockReturnValue(0);
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('PeerConnection', () => {
  it('redials after failed attempts 200 ms later, doubling up to 2 s', () => {
    const { transport, seen } = connection();
    const delays = [200, 400, 800, 1_600, 2_000, 2_000];
    for (const delay of delays) {
      const dials = transport.dials.length;
      transport.last().events.refused({ message: 'unreachable' });
      vi.advanceTimersByTime(delay - 1);
      expect(transport.dials).toHaveLength(dials);
      vi.advanceTimersByTime(1);
      expect(transport.dials).toHaveLength(dials + 1);
    }
    expect(seen.failed).toHaveLength(delays.length);
  });

  it('starts the backoff over once the peer sends something on a connection', () => {
    const { transport, seen } = connection();
    for (let i = 0; i < 3; i++) {
      transport.last().events.refused({ code: 'unavailable', message: 'shutting down' });
      vi.runOnlyPendingTimers();
    }
    transport.last().events.message(Uint8Array.of(1));
    transport.last().events.closed();
    vi.advanceTimersByTime(200);
    expect(transport.dials).toHaveLength(5);
    expect(seen).toEqual({ messages: 1, closed: 1, failed: Array(3).fill('unavailable') });
  });

  it('ignores what an earlier dial reports, and dials no more once closed', () => {
    const { transport, conn, seen } = connection();
    const first = transport.last();
    first.events.closed();
    expect(first.closed).toBe(true);
    vi.advanceTimersByTime(200);
    first.events.closed();
    first.events.message(Uint8Array.of(1));
    vi.advanceTimersByTime(10_000);
    expect(transport.dials).toHaveLength(2);
    expect(seen).toEqual({ messages: 0, closed: 1, failed: [] });

    conn.send(Uint8Array.of(7));
    expect(transport.last().sent).toEqual([Uint8Array.of(7)]);
    conn.close();
    expect(transport.last().closed).toBe(true);
    transport.last().events.closed();
    vi.advanceTimersByTime(10_000);
    expect(transport.dials).toHaveLength(2);
    expect(conn.connected).toBe(false);
  });

  it('an attempt a transport refuses before connect returns is closed and dialled again', () => {
    const { transport, conn, seen } = connection(1);
    expect(transport.dials[0]!.closed).toBe(true);
    expect(conn.connected).toBe(false);
    vi.advanceTimersByTime(200);
    expect(transport.dials).toHaveLength(2);
    expect(transport.last().closed).toBe(false);
    expect(conn.connected).toBe(true);
    expect(seen.failed).toEqual([undefined]);
  });

  it('a close while a redial is pending cancels it', () => {
    const { transport, conn } = connection();
    transport.last().events.refused({ message: 'unreachable' });
    conn.close();
    vi.advanceTimersByTime(10_000);
    expect(transport.dials).toHaveLength(1);
  });
});
