/**
 * Hocuspocus with its SQLite extension, as the relay benchmark runs it in a child process:
 * `node hocuspocus-server.mjs <port> <db file> <debounce ms> <max debounce ms>`.
 *
 * The configuration is the one Hocuspocus documents (`Server` plus `SQLite({ database })` with a
 * file, so documents survive a restart); only the store debounce is a parameter, because it
 * decides when a write reaches the disk. Once listening it prints one line, `listening <json>`,
 * with the settings that decide durability as SQLite reports them, for the results file.
 *
 * Beside the stock configuration, only observation: `GET /stores` answers how many document
 * stores Hocuspocus has started (`onStoreDocument`), how many of the extension's upserts SQLite
 * has finished (its `profile` event) and how many documents still wait for their debounced
 * store, so the benchmark can tell when what was acked is on disk. The extension's `store` does
 * not wait for its upsert, so Hocuspocus itself cannot.
 */

import { SQLite } from '@hocuspocus/extension-sqlite';
import { Server } from '@hocuspocus/server';

const [port, database, debounce, maxDebounce] = process.argv.slice(2);
if (maxDebounce === undefined) {
  console.error('usage: hocuspocus-server.mjs <port> <db file> <debounce ms> <max debounce ms>');
  process.exit(2);
}

const sqlite = new SQLite({ database });
const stores = { started: 0, written: 0 };
/** @type {import('@hocuspocus/server').Extension} */
const observer = {
  async onConfigure() {
    // After the SQLite extension's onConfigure (extensions run in order), so its db exists.
    sqlite.db?.on('profile', (/** @type {string} */ sql) => {
      if (sql.includes('INSERT INTO')) stores.written++;
    });
  },
  async onStoreDocument() {
    stores.started++;
  },
  async onRequest({ request, response, instance }) {
    if (request.url !== '/stores') return;
    const id = (/** @type {string} */ doc) => `onStoreDocument-${doc}`;
    const waiting = [...instance.documents.keys()].filter(
      (doc) =>
        instance.debouncer.isDebounced(id(doc)) || instance.debouncer.isCurrentlyExecuting(id(doc)),
    ).length;
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ ...stores, waiting }));
    // A rejection without an error ends the request's handling here (Hocuspocus' convention).
    return Promise.reject();
  },
};
const server = new Server({
  port: Number(port),
  address: '127.0.0.1',
  debounce: Number(debounce),
  maxDebounce: Number(maxDebounce),
  quiet: true,
  extensions: [sqlite, observer],
});
await server.listen();

/**
 * One PRAGMA's value, through the extension's own connection.
 * @param {string} name
 */
function pragma(name) {
  return new Promise((resolve, reject) => {
    sqlite.db?.get(`PRAGMA ${name}`, (/** @type {Error | null} */ err, /** @type {any} */ row) =>
      err ? reject(err) : resolve(Object.values(row ?? {})[0]),
    );
  });
}

const settings = {
  journalMode: await pragma('journal_mode'),
  // 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA.
  synchronous: await pragma('synchronous'),
};
console.log(`listening ${JSON.stringify(settings)}`);
