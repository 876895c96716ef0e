/** What this browser remembers between visits: the home region and the offline toggle. */
const REGION_KEY = 'helios-demo-region';
const OFFLINE_KEY = 'helios-demo-offline';

export function storedRegion(): string | null {
  return localStorage.getItem(REGION_KEY);
}

export function storeRegion(region: string): void {
  localStorage.setItem(REGION_KEY, region);
}

/** Whether the shopper switched this browser offline; a reload stays offline until switched back. */
export function storedOffline(): boolean {
  return localStorage.getItem(OFFLINE_KEY) === 'true';
}

export function storeOffline(offline: boolean): void {
  if (offline) localStorage.setItem(OFFLINE_KEY, 'true');
  else localStorage.removeItem(OFFLINE_KEY);
}
