import { createRelay, SqliteStore, MemoryStore } from '@helios/server';
import { pino } from 'pino';
const [port, kind, db] = process.argv.slice(2);
const store = kind === 'memory' ? new MemoryStore({ region: 'us-east-1' }) : await SqliteStore.open({ path: db, region: 'us-east-1', synchronous: kind === 'normal' ? 'normal' : 'full' });
const relay = createRelay({ region: 'us-east-1', store, anonymous: true, logger: pino({ level: 'error' }) });
const { url } = await relay.listen(Number(port));
console.log(`listening on ${url}`);
process.on('SIGTERM', () => relay.close().then(() => process.exit(0)));
