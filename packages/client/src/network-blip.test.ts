import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryWorld } from './test-support/memory-world.js';

/**
 * A browser that loses its network for a moment: `navigator.onLine` false and the window's
 * `offline` event, the connection to home dropped, then `online`. The client must not dial the
 * other regions meanwhile (in a real blip they fail too, and the first to answer when the
 * network is back would win), and must come back through home. Here the other region stays
 * reachable, so dialling it would show.
 */
let world = new MemoryWorld();
afterEach(async () => {
  await world.close();
  world = new MemoryWorld();
  vi.unstubAllGlobals();
});

/** Browser globals for the network: the window's events and navigator.onLine. */
function browserNetwork() {
  const window = new EventTarget();
  const navigator = { onLine: true };
  vi.stubGlobal('navigator', navigator);
  vi.stubGlobal('addEventListener', window.addEventListener.bind(window));
  vi.stubGlobal('removeEventListener', window.removeEventListener.bind(window));
  return {
    set online(online: boolean) {
      navigator.onLine = online;
      window.dispatchEvent(new Event(online ? 'online' : 'offline'));
    },
  };
}

describe('a short network blip', () => {
  it('dials no other region while the browser is offline, and comes back through home', async () => {
    const home = world.relay('eu-west-1');
    const other = world.relay('us-west-2');
    const network = browserNetwork();
    const c = world.client([home.url, other.url]);
    const { clock } = world;
    await clock.until(
      () => c.status.connection === 'online' && c.status.region === 'eu-west-1',
      'home',
    );
    const regions: (string | null)[] = [];
    const sub = c.status$.subscribe((s) => {
      if (s.connection === 'online') regions.push(s.region);
    });

    network.online = false;
    world.links.isolate(home.url);
    await clock.until(() => c.status.connection !== 'online', 'the connection dropped');
    await clock.advance(500); // long enough to have failed over, had it dialled the other region
    world.links.heal(home.url);
    network.online = true;
    await clock.until(() => c.status.connection === 'online', 'online again');
    sub.unsubscribe();
    expect(new Set(regions)).toEqual(new Set(['eu-west-1']));
  });
});
