/**
 * The checkpointer thread of a {@link SqliteStore}: its own connection to the store's file,
 * which copies the write-ahead log into the database (`wal_checkpoint(PASSIVE)`) every
 * `everyMs`. A passive checkpoint takes no write lock, so commits go on meanwhile: the writer's
 * connection then never checkpoints itself (past its backstop), and a commit, an ordinary
 * client's above all, does not wait for the log's pages being copied and the file synced.
 *
 * Messages from the store: `'close'`, after which it checkpoints once more, closes the file and
 * exits.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const port = parentPort;
if (port === null) throw new Error('sqlite-checkpointer.js runs as a worker thread of SqliteStore');
const { path, everyMs, synchronous } = workerData as {
  path: string;
  everyMs: number;
  synchronous: 'full' | 'normal';
};

const db = new Database(path);
db.pragma(`synchronous = ${synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
// Opening may meet the writer's connection recovering the log.
db.pragma('busy_timeout = 5000');
const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // An I/O error (a full disk, say): the next round tries again, and the writer's backstop
    // checkpoints bound the log meanwhile. (A passive checkpoint does not wait for locks.)
  }
}, everyMs);

port.on('message', (message: unknown) => {
  if (message !== 'close') return;
  clearInterval(timer);
  db.close();
  port.close();
});
