// Opens a store, commits, closes it, and prints "closed": with nothing else to do, the process
// must wait for close to finish (its threads included) and exit 0, not leave the await unsettled
// (exit 13). Uses the built store (dist).
import { SqliteStore } from '../../dist/store/sqlite-store.js';

const store = await SqliteStore.open({ path: process.argv[2], region: 'eu' });
await store.commit({ changes: [{ doc: 'doc', origin: 'eu', delta: new Uint8Array([1]) }] });
await store.close();
process.stdout.write('closed\n');
