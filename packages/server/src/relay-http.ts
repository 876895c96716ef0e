import type { IncomingMessage, ServerResponse } from 'node:http';
import { type AdminSource, serveAdmin } from './admin-http.js';
import type { RelayMetrics } from './metrics.js';

/**
 * Where the relay is in its life: `starting` until every listener is up (Socket.IO and, with
 * QUIC, the peer listener: a peer that sees `ok` may dial either), `shutting-down` once it closes.
 */
export type HealthStatus = 'starting' | 'ok' | 'shutting-down';

/** What `/healthz` reports. */
export interface Health {
  readonly status: HealthStatus;
  readonly region: string;
  readonly relayId: string;
  readonly peers: readonly { readonly region: string; readonly connected: boolean }[];
}

/**
 * The relay's HTTP routes beside Socket.IO: `/metrics` (Prometheus), `/healthz` and, with an
 * admin token, `/admin/…` (see admin-http.ts). Anything else but Socket.IO's own path is a 404.
 */
export function relayHttp(
  metrics: RelayMetrics,
  health: () => Health,
  admin: AdminSource,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path?.startsWith('/admin/')) {
      await serveAdmin(admin, new URL(req.url ?? '/', 'http://relay'), req, res).catch(() => {
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
    } else if (path === '/metrics') {
      res.writeHead(200, { 'content-type': metrics.registry.contentType });
      res.end(await metrics.registry.metrics());
    } else if (path === '/healthz') {
      const { status, region, relayId, peers } = health();
      // Public and harmless: clients of any origin probe it to see whether a relay is back.
      res.writeHead(status === 'ok' ? 200 : 503, {
        'content-type': 'application/json',
        'access-control-allow-origin': '*',
      });
      res.end(JSON.stringify({ status, region, relayId, peers }));
    } else if (!path?.startsWith('/socket.io')) {
      res.writeHead(404).end();
    }
  };
}
