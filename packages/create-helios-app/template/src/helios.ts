import { createClient } from '@helios/client';

/** Set VITE_HELIOS_RELAY_URL (in .env.local, or the environment of `npm run dev`) for another relay. */
export const RELAY_URL = import.meta.env.VITE_HELIOS_RELAY_URL ?? 'http://127.0.0.1:4100';

// One client for the whole app, created once outside React's render. Several relay URLs would be
// the home region first, then the ones to fail over to.
export const client = createClient({ relays: [RELAY_URL] });
