/**
 * The Yjs servers the relay benchmark compares with, each started in a child process and
 * described for the results file: what it is, how its clients batch, when a write is on disk and
 * what its "ack" means. See RELAY.md.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, removeOnExit, SERVER_NODE_FLAGS, startServer } from './proc.mjs';
import { packageVersion } from './results.mjs';
import { DIALECTS } from './yjs-clients.mjs';

const require = createRequire(import.meta.url);
const YWS_SERVER = join(dirname(require.resolve('y-websocket/package.json')), 'bin', 'server.cjs');
const HOCUSPOCUS_SERVER = join(dirname(fileURLToPath(import.meta.url)), 'hocuspocus-server.mjs');

/**
 * A running peer server.
 * @typedef {{
 *   server: Awaited<ReturnType<typeof startServer>>,
 *   url: string,
 *   config: Record<string, unknown>,
 *   stores?: () => Promise<{ started: number, written: number, waiting: number }>,
 *   cleanup: () => void,
 * }} RunningPeer
 */

/**
 * A peer: its name in the results, its clients' dialect, and how to start it. `durable`: every
 * acked write is on its way to disk at once (no debounce), though no peer's ack waits for it.
 * @typedef {{
 *   name: string,
 *   dialect: import('./yjs-clients.mjs').Dialect,
 *   durable: boolean,
 *   start: (batch: number) => Promise<RunningPeer>,
 * }} Peer
 */

/** @param {number} batch */
const batching = (batch) =>
  `${batch} map.set per Y transaction, one update message per transaction, one message in ` +
  `flight per client at saturation (Helios: ${batch} deltas per push, one push in flight)`;

/**
 * y-websocket's own server: in memory. Its one persistence option (`YPERSISTENCE`, y-leveldb,
 * not installed here) is left off, as in its README's quick start.
 */
const yWebsocket = {
  name: 'y-websocket-batched',
  dialect: DIALECTS['y-websocket'],
  durable: false,
  async start(/** @type {number} */ batch) {
    const port = await freePort();
    const server = await startServer([...SERVER_NODE_FLAGS, YWS_SERVER], /running at/, {
      env: { HOST: '127.0.0.1', PORT: String(port) },
    });
    return {
      server,
      url: `ws://127.0.0.1:${port}`,
      config: {
        server: `y-websocket/bin/server.cjs (y-websocket ${packageVersion('y-websocket')}, yjs ${packageVersion('yjs')}), one process`,
        batching: batching(batch),
        nodeFlags: SERVER_NODE_FLAGS.join(' '),
        persistence: 'none: documents live in memory (YPERSISTENCE unset), Yjs GC on',
        ack: 'the echo of an update to its sender, sent after the update is applied in memory',
        durableAck: false,
        storesEveryWrite: false,
      },
      cleanup: () => {},
    };
  },
};

/**
 * Hocuspocus with its SQLite extension on a file, stores debounced by `debounce` ms (at most
 * `maxDebounce` ms after the first change not yet stored).
 * @param {string} name
 * @param {boolean} durable whether `debounce` is 0: every write starts a store
 * @param {number} debounce
 * @param {number} maxDebounce
 * @param {string} onDisk when an acked write is on disk, in words
 * @returns {Peer}
 */
function hocuspocus(name, durable, debounce, maxDebounce, onDisk) {
  return {
    name,
    dialect: DIALECTS.hocuspocus,
    durable,
    async start(batch) {
      const port = await freePort();
      const dir = mkdtempSync(join(tmpdir(), 'helios-hocuspocus-bench-'));
      const scratch = removeOnExit(dir);
      const server = await startServer(
        [
          ...SERVER_NODE_FLAGS,
          HOCUSPOCUS_SERVER,
          String(port),
          join(dir, 'hocuspocus.sqlite'),
          String(debounce),
          String(maxDebounce),
        ],
        /^listening .*$/m,
      );
      const sqlite = JSON.parse(/^listening (.*)$/m.exec(server.output())?.[1] ?? '{}');
      const http = `http://127.0.0.1:${port}`;
      return {
        server,
        url: `ws://127.0.0.1:${port}`,
        config: {
          server:
            `@hocuspocus/server ${packageVersion('@hocuspocus/server')} + ` +
            `@hocuspocus/extension-sqlite ${packageVersion('@hocuspocus/extension-sqlite')} ` +
            `(sqlite3 ${packageVersion('sqlite3')}) on a file, yjs ${packageVersion('yjs')}, one process`,
          nodeFlags: SERVER_NODE_FLAGS.join(' '),
          batching: batching(batch),
          debounceMs: debounce,
          maxDebounceMs: maxDebounce,
          sqlite: { ...sqlite, note: "the extension's defaults (synchronous 2 = FULL)" },
          store:
            'onStoreDocument: Y.encodeStateAsUpdate of the whole document, upserted as one row ' +
            '(one autocommit transaction each); the extension does not await the upsert',
          ack:
            'SyncStatus(true), sent right after the update is applied in memory, before any ' +
            'store is scheduled: not a durable ack',
          onDisk,
          durableAck: false,
          storesEveryWrite: durable,
        },
        stores: async () => {
          const r = await fetch(`${http}/stores`, { headers: { connection: 'close' } });
          return /** @type {{ started: number, written: number, waiting: number }} */ (
            await r.json()
          );
        },
        cleanup: () => {
          rmSync(dir, { recursive: true, force: true });
          scratch.forget();
        },
      };
    },
  };
}

/** @type {Peer[]} */
export const PEERS = [
  yWebsocket,
  hocuspocus(
    'hocuspocus-sqlite',
    false,
    2000,
    10_000,
    'within 2 s of the last change to the document, or 10 s of the first change not yet ' +
      "stored when changes keep coming (Hocuspocus' documented defaults), plus the upsert's " +
      'time in the queue: under a steady load up to ~10 s of acked writes are only in memory',
  ),
  hocuspocus(
    'hocuspocus-sqlite-debounce0',
    true,
    0,
    10_000,
    'debounce 0, its durable path: every update starts a store of the whole document at ' +
      'once; an acked write is on disk when the first upsert encoded after it has run ' +
      "(SQLite's queue; the client is not told)",
  ),
];

/**
 * What a peer that stores in the background had written when its saturation phase (and drain)
 * ended, and when everything acked in the phase was on disk.
 * @param {() => Promise<{ started: number, written: number, waiting: number }>} stores
 * @param {{ started: number, written: number, waiting: number }} before at the start of the phase
 * @param {number} endedAt when the phase's window ended (performance.now)
 * @param {{ drainMs: number }} cfg
 */
export async function storeLag(stores, before, endedAt, cfg) {
  const atEnd = await stores();
  const done = (/** @type {typeof atEnd} */ s) => s.waiting === 0 && s.written >= s.started;
  let now = atEnd;
  // Past the debounce: a document's store starts up to `maxDebounce` after its first change.
  while (!done(now) && performance.now() - endedAt < cfg.drainMs + 10_000) {
    await new Promise((r) => setTimeout(r, 50));
    now = await stores();
  }
  return {
    started: atEnd.started - before.started,
    writtenByEnd: atEnd.written - before.written,
    backlogAtEnd: atEnd.started - atEnd.written,
    waitingAtEnd: atEnd.waiting,
    onDiskMs: done(now) ? Math.round(performance.now() - endedAt) : Number.NaN,
  };
}

/**
 * What a peer that stores in the background had on disk after its saturation phase, in words.
 * @param {Awaited<ReturnType<typeof storeLag>>} s
 */
export function describeStoreLag(s) {
  const when = Number.isNaN(s.onDiskMs)
    ? 'NOT all on disk within the wait'
    : `all acked sets on disk ${s.onDiskMs} ms after the phase ended`;
  return (
    `${s.started} document stores started, ${s.writtenByEnd} upserts written by the end of ` +
    `the drain, ${s.backlogAtEnd} queued and ${s.waitingAtEnd} documents waiting for their ` +
    `debounced store then, ${when}`
  );
}
