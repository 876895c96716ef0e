import { createClient, type HeliosClient } from '@helios/client';
import { HeliosProvider, useSyncStatus } from '@helios/react';
import { useEffect, useState } from 'react';
import { CartPanel } from './components/CartPanel.js';
import { Catalog } from './components/Catalog.js';
import { GiftNote } from './components/GiftNote.js';
import { SyncBadge } from './components/SyncBadge.js';
import { WishlistPanel } from './components/WishlistPanel.js';
import { LastWriteProvider } from './last-write.js';

export interface RegionConfig {
  readonly region: string;
  readonly url: string;
}

/** Relays with the chosen region first: the client fails over to the others in this order. */
function relayOrder(regions: readonly RegionConfig[], home: string): string[] {
  const first = regions.find((r) => r.region === home) ?? regions[0]!;
  return [first.url, ...regions.filter((r) => r !== first).map((r) => r.url)];
}

export function App({ regions }: { regions: readonly RegionConfig[] }) {
  const initial =
    new URLSearchParams(location.search).get('region') ??
    localStorage.getItem('helios-demo-region') ??
    regions[0]!.region;
  const [region, setRegion] = useState(initial);
  const [client, setClient] = useState<HeliosClient>();

  useEffect(() => {
    const c = createClient({ relays: relayOrder(regions, region), dbName: 'helios-demo' });
    setClient(c);
    return () => void c.close();
  }, [regions, region]);

  if (!client) return null;
  return (
    <HeliosProvider client={client}>
      <LastWriteProvider>
        <Shell
          client={client}
          regions={regions}
          region={region}
          onRegion={(r) => {
            localStorage.setItem('helios-demo-region', r);
            setRegion(r);
          }}
        />
      </LastWriteProvider>
    </HeliosProvider>
  );
}

function Shell(props: {
  client: HeliosClient;
  regions: readonly RegionConfig[];
  region: string;
  onRegion: (region: string) => void;
}) {
  const status = useSyncStatus();
  const [offline, setOffline] = useState(false);
  return (
    <div className="page">
      <header>
        <div className="brand">
          <span className="logo">☀</span>
          <div>
            <h1>Helios Coffee Co.</h1>
            <p>Beans and brewing gear · your cart follows you across tabs, devices and regions</p>
          </div>
        </div>
        <div className="controls">
          <label>
            Region
            <select
              value={props.region}
              data-testid="region-select"
              onChange={(e) => props.onRegion(e.target.value)}
            >
              {props.regions.map((r) => (
                <option key={r.region} value={r.region}>
                  {r.region}
                </option>
              ))}
            </select>
          </label>
          <label className="toggle">
            <input
              type="checkbox"
              checked={offline}
              data-testid="offline-toggle"
              onChange={(e) => {
                setOffline(e.target.checked);
                props.client.setOnline(!e.target.checked);
              }}
            />
            Offline
          </label>
        </div>
      </header>
      <SyncBadge />
      {status.region && status.region !== props.region && status.connection === 'online' && (
        <p className="notice" data-testid="failover-notice">
          {props.region} is unreachable: this tab is using {status.region} until it is back.
        </p>
      )}
      <main>
        <Catalog />
        <aside>
          <CartPanel />
          <WishlistPanel />
          <GiftNote />
        </aside>
      </main>
      <footer>
        Every change is applied instantly, saved in this browser, and synced through the nearest
        region to all five. Try two windows on different regions, or go offline and edit both.
      </footer>
    </div>
  );
}
