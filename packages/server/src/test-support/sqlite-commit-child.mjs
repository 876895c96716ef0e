// Commits forever, printing "<i> <seq>" once each commit has resolved. The sqlite store test
// SIGKILLs this process and checks every printed commit survived. Uses the built store (dist).
import { SqliteStore } from '../../dist/store/sqlite-store.js';

const path = process.argv[2];
const store = await SqliteStore.open({ path, region: 'eu' });
const encoder = new TextEncoder();
for (let i = 0; ; i++) {
  const [seq] = await store.commit({
    changes: [{ doc: `doc${i % 7}`, origin: 'eu', delta: encoder.encode(`change ${i}`) }],
    cursors: [{ peer: 'us', upTo: i }],
  });
  process.stdout.write(`${i} ${seq}\n`);
}
