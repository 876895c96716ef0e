/**
 * A load-generator process of the flood benchmark (forked by `flood.mjs`, IPC channel): holds
 * `count` flooding connections, each under a user of its own, idle until told to flood.
 *
 * Messages from the parent: `{ type: 'init', url, secret, first, count, entries, pool }` (answers
 * `{ type: 'ready' }` once every connection is welcomed), `{ type: 'flood', n }` (the first `n`
 * connections start flooding), `{ type: 'stop' }` (every connection stops and closes; answers
 * `{ type: 'stopped', stats }` once every connection is closed, that is once the relay has read
 * all that they sent). The process exits when the parent goes away.
 */
import { Flooder, jwtFor } from './flood-clients.mjs';

/** @type {Flooder[]} */
let flooders = [];

process.on('disconnect', () => process.exit(0));
process.on('message', async (/** @type {any} */ m) => {
  try {
    if (m.type === 'init') {
      flooders = [];
      for (let i = 0; i < m.count; i++) {
        const index = m.first + i;
        flooders.push(
          new Flooder(m.url, jwtFor(m.secret, `flooder-${index}`), `flood-${index}`, {
            entries: m.entries,
            pool: m.pool,
          }),
        );
      }
      await Promise.all(flooders.map((f) => f.connect()));
      process.send?.({ type: 'ready' });
    } else if (m.type === 'flood') {
      for (const f of flooders.slice(0, m.n)) f.start();
    } else if (m.type === 'stop') {
      await Promise.all(flooders.map((f) => f.close()));
      const stats = { frames: 0, acked: 0, rateLimited: 0, closedByRelay: 0, reconnects: 0 };
      for (const f of flooders) {
        for (const k of /** @type {(keyof typeof stats)[]} */ (Object.keys(stats))) {
          stats[k] += f.stats[k];
        }
      }
      process.send?.({ type: 'stopped', stats, entriesPerFrame: flooders[0]?.entriesPerFrame });
    }
  } catch (err) {
    process.send?.({ type: 'error', message: String(/** @type {Error} */ (err).stack ?? err) });
  }
});
