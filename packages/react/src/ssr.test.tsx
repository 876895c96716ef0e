// @vitest-environment node
import { createClient } from '@helios/client';
import { renderToString } from 'react-dom/server';
import { afterEach, describe, expect, it } from 'vitest';
import { HeliosProvider } from './helios-provider.js';
import { useCounter } from './use-counter.js';
import { useLWWMap } from './use-lww-map.js';
import { useSyncStatus } from './use-sync-status.js';

const clients: { close(): Promise<void> }[] = [];
/** The rendered text without React's `<!-- -->` separators between text nodes. */
const text = (html: string) => html.replaceAll('<!-- -->', '');
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
});

function serverClient() {
  const client = createClient({
    relays: ['http://127.0.0.1:9'],
    persistence: 'memory',
    offline: true,
    dbName: `ssr-${Math.random()}`,
  });
  clients.push(client);
  return client;
}

function Page() {
  const { value, loaded } = useCounter('likes');
  const settings = useLWWMap<string>('settings');
  const { connection } = useSyncStatus();
  return (
    <p>
      likes {value} ({loaded ? 'loaded' : 'loading'}), theme {settings.get('theme') ?? 'default'},{' '}
      {connection}
    </p>
  );
}

describe('server rendering', () => {
  it('renders the empty value before load, with no browser API at hand', () => {
    expect(typeof window).toBe('undefined');
    expect(typeof document).toBe('undefined');
    expect(typeof indexedDB).toBe('undefined');
    const html = renderToString(
      <HeliosProvider client={serverClient()}>
        <Page />
      </HeliosProvider>,
    );
    expect(text(html)).toBe('<p>likes 0 (loading), theme default, offline</p>');
  });

  it("renders the handle's current value once loaded", async () => {
    const client = serverClient();
    await client.counter('likes').loaded;
    client.counter('likes').increment(7);
    const html = renderToString(
      <HeliosProvider client={client}>
        <Page />
      </HeliosProvider>,
    );
    expect(text(html)).toBe('<p>likes 7 (loaded), theme default, offline</p>');
  });
});
