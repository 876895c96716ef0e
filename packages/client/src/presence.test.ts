import { InvalidArgumentError } from '@helios/core';
import type { Message, PresenceSet } from '@helios/core/protocol';
import { BehaviorSubject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { ClientPresence } from './presence.js';
import { PRESENCE_MIN_INTERVAL_MS, PRESENCE_REFRESH_MS } from './presence-handle.js';
import { type ClientStatus, initialStatus } from './status.js';
import { ManualClock } from './test-support/manual-clock.js';

/** A client's presence wired to a recording `send` and a status it can move. */
function setup() {
  const clock = new ManualClock();
  const sent: PresenceSet[] = [];
  let connected = true;
  const status$ = new BehaviorSubject<ClientStatus>({
    ...initialStatus(false),
    connection: 'online',
  });
  const presence = new ClientPresence({
    clock,
    send: (m: Message) => {
      if (!connected) return false;
      sent.push(m as PresenceSet);
      return true;
    },
    status$,
  });
  presence.subscribed('cart');
  const online = (up: boolean) => {
    connected = up;
    status$.next({ ...status$.value, connection: up ? 'online' : 'connecting' });
  };
  return { clock, sent, presence, online };
}

describe('client presence', () => {
  it('sends a set at once, coalesces the sets within 100 ms, and refreshes every 15 s', async () => {
    const { clock, sent, presence } = setup();
    const cart = presence.handle<{ n: number }>('cart');
    cart.set({ n: 1 });
    expect(sent).toEqual([{ kind: 'presence-set', doc: 'cart', state: { n: 1 } }]);
    cart.set({ n: 2 });
    cart.set({ n: 3 });
    expect(sent).toHaveLength(1);
    await clock.advance(PRESENCE_MIN_INTERVAL_MS);
    expect(sent.map((m) => m.state)).toEqual([{ n: 1 }, { n: 3 }]); // the latest only
    await clock.advance(PRESENCE_REFRESH_MS);
    expect(sent.map((m) => m.state)).toEqual([{ n: 1 }, { n: 3 }, { n: 3 }]);
    cart.clear();
    await clock.advance(PRESENCE_MIN_INTERVAL_MS);
    expect(sent.at(-1)).toEqual({ kind: 'presence-set', doc: 'cart' });
    await clock.advance(PRESENCE_REFRESH_MS * 3);
    expect(sent).toHaveLength(4); // a cleared state is not refreshed
  });

  it('waits for the document’s subscription before sending', () => {
    const { sent, presence } = setup();
    const list = presence.handle('list');
    list.set('here');
    expect(sent).toEqual([]);
    presence.subscribed('list');
    expect(sent).toEqual([{ kind: 'presence-set', doc: 'list', state: 'here' }]);
  });

  it('refuses what is no JSON value of at most 1 KiB, and keeps the last good state', () => {
    const { sent, presence } = setup();
    const cart = presence.handle('cart');
    cart.set({ looking: 'cart' });
    for (const bad of [
      'x'.repeat(1100),
      new Uint8Array([1]),
      Number.NaN,
      Array.from({ length: 20 }).reduce<unknown>((inner) => [inner], 1),
    ]) {
      // biome-ignore lint/suspicious/noExplicitAny: hostile input on purpose.
      expect(() => cart.set(bad as any)).toThrow(InvalidArgumentError);
    }
    expect(cart.mine).toEqual({ looking: 'cart' });
    expect(sent).toHaveLength(1);
  });

  it('keeps the others a relay tells of, drops them with the connection, and re-sends its own', async () => {
    const { clock, sent, presence, online } = setup();
    presence.received({
      kind: 'presence',
      doc: 'cart',
      entries: [{ id: 'x', region: 'ap-southeast-1', state: 'hi' }],
    });
    // A handle made after the relay's message sees what it said.
    const cart = presence.handle('cart');
    const seen: number[] = [];
    cart.subscribe((others) => seen.push(others.length));
    expect(cart.others).toEqual([
      { id: 'x', region: 'ap-southeast-1', state: 'hi', updatedAt: clock.now() },
    ]);
    expect(cart.others).toBe(cart.others); // the same array until a change
    cart.set('me');
    online(false);
    expect(cart.others).toEqual([]);
    cart.set('me, offline');
    expect(sent.map((m) => m.state)).toEqual(['me']);
    online(true);
    expect(sent.map((m) => m.state)).toEqual(['me']); // not before the document's sync
    presence.subscribed('cart');
    expect(sent.map((m) => m.state)).toEqual(['me', 'me, offline']);
    presence.received({
      kind: 'presence',
      doc: 'cart',
      entries: [{ id: 'y', region: 'eu', state: 1 }],
    });
    presence.received({ kind: 'presence', doc: 'cart', entries: [{ id: 'y', region: 'eu' }] });
    expect(seen).toEqual([0, 1, 0]);
    presence.close();
    await clock.advance(PRESENCE_REFRESH_MS);
    expect(sent).toHaveLength(2); // no refresh after close
  });
});
