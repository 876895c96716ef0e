#!/usr/bin/env node
// `npm start`: five regional relays on localhost (SQLite under ./data, fully peered, with the
// real inter-region latencies injected on the peer links) and the shopping-cart demo.
// A relay that exits is restarted (see supervisor.mjs); Ctrl-C stops everything.
//   --no-latency       peer links without injected delay
//   --port <n>         port of the demo page (default 4000)
//   --relay-port <n>   port of the first relay (default 4101; the five use n … n+4)
//   --data <dir>       where the SQLite files live (default ./data)
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { oneWayMs, REGIONS } from './regions.mjs';
import { startRelays } from './relays.mjs';
import { serveStatic } from './static-server.mjs';
import { supervise } from './supervisor.mjs';

const { values } = parseArgs({
  options: {
    'no-latency': { type: 'boolean', default: false },
    port: { type: 'string', default: '4000' },
    'relay-port': { type: 'string', default: '4101' },
    data: { type: 'string', default: 'data' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(
    'usage: npm start -- [--no-latency] [--port 4000] [--relay-port 4101] [--data ./data]',
  );
  process.exit(0);
}

const dataDir = resolve(values.data);
mkdirSync(dataDir, { recursive: true });
const latency = !values['no-latency'];
const basePort = Number(values['relay-port']);
const relayOptions = { dataDir, latency, basePort };
const relays = await startRelays(relayOptions);
const supervised = relays.map((relay) =>
  supervise({
    relay,
    start: async () => (await startRelays({ ...relayOptions, only: [relay.region] }))[0],
    log: (line) => console.log(line),
  }),
);
const root = fileURLToPath(new URL('../dist', import.meta.url));
const port = Number(values.port);
const server = await serveStatic({
  root,
  port,
  config: { regions: relays.map(({ region, url }) => ({ region, url })) },
});

console.log('\nHelios demo — five regions, multi-master\n');
for (const { region, url } of relays) console.log(`  relay ${region.padEnd(15)} ${url}`);
if (latency) {
  console.log(
    `\n  peer links delayed by half the p50 RTT, e.g. ${REGIONS[0]} ↔ ${REGIONS[2]}: ${oneWayMs(REGIONS[0], REGIONS[2])} ms one way`,
  );
} else {
  console.log('\n  peer links without injected latency (--no-latency)');
}
console.log(
  `\n  shop:   http://127.0.0.1:${port}/   (open it in two windows, pick different regions)`,
);
console.log(`  data:   ${dataDir}\n  Ctrl-C stops everything; the data stays for the next run.\n`);

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  console.log('\nstopping…');
  server.close();
  await Promise.all(supervised.map((s) => s.stop()));
  process.exit(0);
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
