import { createClient, type HeliosClient } from '@helios/client';
import { HeliosProvider, useSyncStatus } from '@helios/react';
import { useEffect, useState } from 'react';
import { CATALOG } from './catalog.js';
import { CartPanel } from './components/CartPanel.js';
import { CartSummaryBar } from './components/CartSummaryBar.js';
import { Catalog } from './components/Catalog.js';
import { GiftNote } from './components/GiftNote.js';
import { SyncBadge } from './components/SyncBadge.js';
import { UnknownRegion } from './components/UnknownRegion.js';
import { WishlistPanel } from './components/WishlistPanel.js';
import { installShopDevtools } from './devtools.js';
import { LastWriteProvider } from './last-write.js';
import { storedOffline, storedRegion, storeOffline, storeRegion } from './preferences.js';
import { chooseRegion, type RegionConfig, relayOrder } from './regions.js';
import { returnStock } from './return-stock.js';
import { useUnreachable } from './use-unreachable.js';

export function App({ regions }: { regions: readonly RegionConfig[] }) {
  const [choice] = useState(() =>
    chooseRegion(regions, new URLSearchParams(location.search).get('region'), storedRegion()),
  );
  if (choice.kind === 'unknown') return <UnknownRegion region={choice.region} regions={regions} />;
  return <Shop regions={regions} initialRegion={choice.region} />;
}

function Shop({
  regions,
  initialRegion,
}: {
  regions: readonly RegionConfig[];
  initialRegion: string;
}) {
  const [region, setRegion] = useState(initialRegion);
  const [client, setClient] = useState<HeliosClient>();

  useEffect(() => {
    const c = createClient({
      relays: relayOrder(regions, region),
      dbName: 'helios-demo',
      offline: storedOffline(),
      // The devtools panel (Ctrl+Shift+H) shows each region a write reached, not only "global".
      regionTrail: true,
    });
    setClient(c);
    // Units that leave the cart go back on the shelf, whichever tab or device removed them.
    const stopReturns = returnStock(
      c,
      CATALOG.map((p) => p.sku),
    );
    const uninstallDevtools = installShopDevtools(c);
    return () => {
      uninstallDevtools();
      stopReturns();
      void c.close();
    };
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
            storeRegion(r);
            // The address names the region too, so that a reload keeps the one chosen here.
            const url = new URL(location.href);
            url.searchParams.set('region', r);
            history.replaceState(null, '', url);
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
  const unreachable = useUnreachable();
  return (
    <div className="page">
      <header>
        <div className="brand">
          <span className="logo" aria-hidden="true">
            ☀
          </span>
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
              checked={status.connection === 'offline'}
              data-testid="offline-toggle"
              onChange={(e) => {
                storeOffline(e.target.checked);
                props.client.setOnline(!e.target.checked);
              }}
            />
            Offline
          </label>
        </div>
      </header>
      <SyncBadge unreachable={unreachable} />
      {unreachable && (
        <p className="notice alert" data-testid="unreachable-notice">
          No region is reachable. Your changes are saved in this browser and will sync when a region
          answers again; the tab keeps trying.
        </p>
      )}
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
      <CartSummaryBar />
    </div>
  );
}
