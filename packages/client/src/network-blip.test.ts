import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Resources, sleep, until } from './test-support/harness.js';

/**
 * A browser that loses its network for a moment: `navigator.onLine` false and the window's
 * `offline` event, the connection to home dropped, then `online`. The client must not dial the
 * other regions meanwhile (in a real blip they fail too, and the first to answer when the
 * network is back would win), and must come back through home. Here the other region stays
 * reachable, so dialling it would show.
 */
const res = new Resources();
afterEach(async () => {
  await res.closeAll();
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
    const home = await res.relay({ region: 'eu-west-1' });
    const other = await res.relay({ region: 'us-west-2' });
    const { proxy: homeLink, url: homeUrl } = await res.proxy(home.port);
    const network = browserNetwork();
    const c = res.client([homeUrl, other.url]);
    await until(() => c.status.connection === 'online' && c.status.region === 'eu-west-1', 'home');
    const regions: (string | null)[] = [];
    const sub = c.status$.subscribe((s) => {
      if (s.connection === 'online') regions.push(s.region);
    });

    network.online = false;
    homeLink.cut();
    await until(() => c.status.connection !== 'online', 'the connection dropped with the network');
    await sleep(500); // long enough to have failed over, had it dialled the other region
    homeLink.heal();
    network.online = true;
    await until(() => c.status.connection === 'online', 'online again');
    sub.unsubscribe();
    expect(new Set(regions)).toEqual(new Set(['eu-west-1']));
  });
});
