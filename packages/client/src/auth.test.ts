import 'fake-indexeddb/auto';
import { jwtAuthenticate } from '@helios/server';
import { afterEach, describe, expect, it } from 'vitest';
import type { MemoryPeer } from './index.js';
import { hs256Token } from './test-support/jwt.js';
import { MemoryWorld } from './test-support/memory-world.js';

/**
 * Relays that refuse the handshake (the shipped JWT hook here): the refusal shows in the status,
 * the client keeps working locally, holds the refusing relay back instead of asking it again in
 * a tight loop, and asks the app's token function again on every attempt. The relays are in
 * memory, on a manual clock: holds and backoffs take no wall time.
 */
let world = new MemoryWorld();
afterEach(async () => {
  await world.close();
  world = new MemoryWorld();
});

const SECRET = 'client-test-secret-long-enough-for-hs256';

/** The relay's JWT hook of `secret`, recording when (on the world's clock) it was asked. */
function jwtHook(secret: string): {
  authenticate: (hello: MemoryPeer['hello']) => unknown;
  calls: number[];
} {
  const verify = jwtAuthenticate({ secret });
  const calls: number[] = [];
  return {
    calls,
    authenticate: (hello) => {
      calls.push(world.clock.now());
      return verify({ token: hello.token, headers: {}, address: '127.0.0.1' });
    },
  };
}

describe('refused connections', () => {
  it('show the relay code in lastError, keep writes local, and ask the token function again', async () => {
    const { authenticate } = jwtHook(SECRET);
    const { url } = world.relay('us-east-1', { authenticate });
    let asked = 0;
    let signedIn = false;
    const client = world.client([url], {
      auth: {
        // Until the user signs in again, the app only has an expired token.
        token: async () => {
          asked++;
          return hs256Token(SECRET, 'ada', signedIn ? 3_600 : -60);
        },
      },
    });
    const likes = client.counter('likes');
    const receipt = likes.increment();
    await world.clock.until(() => client.status.lastError !== null, 'the refusal is reported');
    expect(client.status.lastError).toEqual({
      code: 'unauthenticated',
      message: expect.stringMatching(/exp/),
      relay: url,
    });
    expect(client.status.connection).toBe('connecting');
    await receipt.wait('local');
    expect(likes.value).toBe(1);
    expect(client.status.pendingTotal).toBe(1);

    signedIn = true;
    const before = asked;
    await world.reach(receipt, 'relay');
    expect(asked).toBeGreaterThan(before); // the retry took a fresh token
    expect(client.status.connection).toBe('online');
    expect(client.status.lastError).toBeNull(); // the relay that refused admitted us
    expect(client.status.pendingTotal).toBe(0);
  });

  it('are not retried in a tight loop: the refusing relay is held back, longer each time', async () => {
    const { authenticate, calls } = jwtHook(SECRET);
    const { url } = world.relay('us-east-1', { authenticate });
    const client = world.client([url], { auth: { token: hs256Token('another-secret', 'ada') } });
    await world.clock.until(() => calls.length >= 3, 'three attempts', 15_000);
    const gaps = calls.slice(1).map((t, i) => t - calls[i]!);
    // Held back for 1 s, then 2 s (a network failure would be retried after 250 ms, then 500 ms).
    expect(gaps[0]).toBeGreaterThanOrEqual(950);
    expect(gaps[1]).toBeGreaterThanOrEqual(1_950);
    expect(client.status.lastError?.code).toBe('unauthenticated');
    expect(client.status.lastError?.message).toMatch(/signature/);
  });

  it('a token function that throws is reported as token-failed, and asked again later', async () => {
    const { authenticate, calls } = jwtHook(SECRET);
    const { url } = world.relay('us-east-1', { authenticate });
    let asked = 0;
    const client = world.client([url], {
      auth: {
        token: async () => {
          if (++asked === 1) throw new Error('the identity provider is down');
          return hs256Token(SECRET, 'ada');
        },
      },
    });
    await world.clock.until(() => client.status.lastError !== null, 'the failure is reported');
    expect(client.status.lastError).toEqual({
      code: 'token-failed',
      message: 'the identity provider is down',
      relay: url,
    });
    expect(calls).toEqual([]); // the relay was not dialled without a token
    await world.clock.until(
      () => client.status.connection === 'online',
      'online with the next token',
    );
    expect(asked).toBe(2);
    expect(client.status.lastError).toBeNull();
  });

  it('setOnline(true) retries at once, without waiting out the hold', async () => {
    const { authenticate, calls } = jwtHook(SECRET);
    const { url } = world.relay('us-east-1', { authenticate });
    let signedIn = false;
    const client = world.client([url], {
      auth: { token: () => hs256Token(SECRET, 'ada', signedIn ? 3_600 : -60) },
    });
    await world.clock.until(() => calls.length >= 2, 'refused twice: now held back for 2 s');
    await world.clock.advance(200); // the refusal reaches the client
    signedIn = true;
    const started = world.clock.now();
    client.setOnline(true);
    await world.clock.until(() => client.status.connection === 'online', 'admitted');
    expect(world.clock.now() - started).toBeLessThan(1_000);
  });

  it('while home refuses, the client works through the next relay without flapping back home', async () => {
    const home = jwtHook(SECRET);
    const away = jwtHook('the-other-region-has-another-secret');
    const { url: homeUrl } = world.relay('us-east-1', { authenticate: home.authenticate });
    const { url: awayUrl } = world.relay('eu-west-1', { authenticate: away.authenticate });
    // homeProbeMs is 100: without the hold, every probe would switch back home to be refused.
    const client = world.client([homeUrl, awayUrl], {
      auth: { token: hs256Token('the-other-region-has-another-secret', 'ada') },
    });
    await world.reach(client.counter('likes').increment(), 'relay');
    expect(client.status.relay).toBe(awayUrl);
    const homeAttempts = home.calls.length;
    await world.clock.advance(1_500);
    // At most one more try at home once its 1 s hold ran out; then away again.
    expect(home.calls.length - homeAttempts).toBeLessThanOrEqual(1);
    await world.clock.until(() => client.status.connection === 'online', 'back on the other relay');
    expect(client.status.relay).toBe(awayUrl);
    expect(client.status.lastError).toMatchObject({ code: 'unauthenticated', relay: homeUrl });
  });
});
