#!/usr/bin/env node
// `npm start`: five regional relays on localhost (SQLite under ./data, fully peered, with the
// real inter-region latencies injected on the peer links) and the shopping-cart demo.
// On the first start with a data directory, a warehouse stocks every product in every region
// (see warehouse.mjs). A relay that exits is restarted (see supervisor.mjs); Ctrl-C stops
// everything.
//   --no-latency       peer links without injected delay
//   --port <n>         port of the demo page (default 4000)
//   --relay-port <n>   port of the first relay (default 4101; the five use n … n+4)
//   --data <dir>       where the SQLite files live (default ./data)
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { oneWayMs, REGIONS, relayPort } from './regions.mjs';
import { startRelays } from './relays.mjs';
import { serveStatic } from './static-server.mjs';
import { supervise } from './supervisor.mjs';
import { openingStock, seedStockOnce, UNITS_PER_REGION } from './warehouse.mjs';

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
const root = fileURLToPath(new URL('../dist', import.meta.url));
const port = Number(values.port);

// The page first: a taken port then stops the demo before any relay has started.
const server = await serveStatic({
  root,
  port,
  config: {
    regions: REGIONS.map((region) => ({
      region,
      url: `http://127.0.0.1:${relayPort(region, basePort)}`,
    })),
  },
}).catch((err) => fail(err, `port ${port} is taken: pick another with --port`));
const relays = await startRelays(relayOptions).catch((err) => {
  server.close();
  return fail(
    err,
    `a relay port (${basePort}–${basePort + 4}) is taken: pick others with --relay-port`,
  );
});
const supervised = relays.map((relay) =>
  supervise({
    relay,
    start: async () => (await startRelays({ ...relayOptions, only: [relay.region] }))[0],
    log: (line) => console.log(line),
  }),
);

// Stock for the shop, once per data directory: a restart finds it already there.
const stocked = await seedStockOnce({
  dataDir,
  urls: Object.fromEntries(relays.map(({ region, url }) => [region, url])),
  stock: openingStock(REGIONS),
}).catch((err) => {
  // The regions stocked before the failure are recorded: the next start stocks the others.
  console.error(`npm start: ${err.message}; restart to stock the rest`);
  return undefined;
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
if (stocked?.length) {
  console.log(`\n  stock:  ${UNITS_PER_REGION} of each product stocked in ${stocked.join(', ')}`);
} else if (stocked) {
  console.log('\n  stock:  as the last run left it (a data directory is stocked once)');
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

/** Exits with a start-up error; `portTaken` explains it when an address was in use. */
function fail(err, portTaken) {
  const message = err instanceof Error ? err.message : String(err);
  console.error(`npm start: ${/EADDRINUSE/.test(message) ? portTaken : message}`);
  process.exit(1);
}
