/**
 * Restart storms of several relay builds on one database, alternated:
 * `node --expose-gc src/storm-ab.mjs [--rounds=3] [--seconds=10] <build> <build> …`, where a
 * build is the path of a relay's `cli.js` (a copy of packages/server/dist inside
 * packages/server, so that its imports resolve), optionally followed by `::` and node flags
 * (`../packages/server/dist/cli.js::--max-semi-space-size=32`).
 *
 * The relay benchmark's storm (`reconnectStorm1kMs`) follows phases whose data differs from run
 * to run, and moves by ±15 % between identical runs on this host; comparing builds needs the
 * same data and the builds taking turns. Here the bench's 1,000 clients connect to the first
 * build, write for `--seconds` to their carts and half as long to their own documents, then the
 * relay is killed (SIGKILL) and started again on the same database, each build in turn,
 * `--rounds` times; the clients come back as in the benchmark (relay-restart.mjs). Per restart
 * it prints the time from "listening" until the last client is back, the relay's CPU split into
 * its event loop and its other threads (V8's compiler and GC helpers, the store's workers), and
 * the generator's; then each build's means. Writes no results file.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { positionals } from './args.mjs';
import { freePort, mainThreadCpuSeconds, removeOnExit, startServer } from './proc.mjs';
import { relayCliArgs } from './relay.mjs';
import { HeliosClient, LoadStats } from './relay-clients.mjs';
import { connectAll, saturate } from './relay-phases.mjs';
import { restartStorm } from './relay-restart.mjs';

const argv = process.argv.slice(2);
const flag = (/** @type {string} */ name, /** @type {number} */ fallback) =>
  Number(argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);
const builds = positionals(argv);
if (builds.length === 0) {
  console.error(
    'usage: node --expose-gc src/storm-ab.mjs [--rounds=3] [--seconds=10] <cli.js[::flags]> …',
  );
  process.exit(2);
}
const rounds = flag('rounds', 3);
const seconds = flag('seconds', 10);

const dir = mkdtempSync(join(tmpdir(), 'helios-storm-ab-'));
removeOnExit(dir);
const port = await freePort();
const cliArgs = relayCliArgs(port, join(dir, 'relay.sqlite'));
let build = /** @type {string} */ (builds[0]);
/** Starts `build` on the port and database; resolves once it is listening. */
const start = () => {
  const [cli, flags] = build.split('::');
  const nodeArgs = flags ? flags.split(' ') : [];
  return startServer([...nodeArgs, /** @type {string} */ (cli), ...cliArgs], /listening on/);
};
let server = await start();
const url = `http://127.0.0.1:${port}`;
const stats = new LoadStats();
const cart = (/** @type {number} */ i) => `cart-${String(i % 100).padStart(4, '0')}`;
const clients = await connectAll(
  1000,
  100,
  (i) => new HeliosClient(url, [cart(i), `solo-${i}`], stats),
);
/** @type {import('./relay-phases.mjs').Target} */
const carts = {
  name: 'helios',
  pids: [server.pid],
  stats,
  clients,
  push: (i, n) => clients[i]?.push(cart(i), n),
  others: 9,
};
const own = {
  ...carts,
  push: (/** @type {number} */ i, /** @type {number} */ n) => clients[i]?.push(`solo-${i}`, n),
  others: 0,
};
const a = await saturate(carts, { seconds, batch: 8, drainMs: 10_000 });
const b = await saturate(own, { seconds: seconds / 2, batch: 8, drainMs: 10_000 });
console.log(
  `written: ${Math.round(a.perSec * a.seconds)} deltas to 100 carts, ${Math.round(b.perSec * b.seconds)} to 1,000 own documents`,
);

/** @type {Map<string, { ms: number, relay: number, loop: number }[]>} */
const byBuild = new Map(builds.map((x) => [x, []]));
for (let r = 0; r < rounds; r++) {
  for (const next of builds) {
    build = next;
    let loop0 = 0;
    const storm = await restartStorm(
      server,
      async () => {
        const relay = await start();
        loop0 = mainThreadCpuSeconds(relay.pid);
        return relay;
      },
      clients,
      'SIGKILL',
    );
    server = storm.relay;
    // Read at once: the relay's threads idle after the last client is back.
    const loop = mainThreadCpuSeconds(server.pid) - loop0;
    byBuild.get(next)?.push({ ms: storm.fromListeningMs, relay: storm.relayCpu, loop });
    console.log(
      `${next}: ${Math.round(storm.fromListeningMs)} ms after "listening" (p50 ${Math.round(storm.fromListeningP50Ms)}), ` +
        `relay CPU ${storm.relayCpu.toFixed(2)} s (event loop ${loop.toFixed(2)}, other threads ${(storm.relayCpu - loop).toFixed(2)}), ` +
        `generator ${storm.ownCpu.toFixed(2)} s, ${storm.meanDials.toFixed(2)} dials per client`,
    );
  }
}
for (const [name, runs] of byBuild) {
  const mean = (/** @type {(x: { ms: number, relay: number, loop: number }) => number} */ f) =>
    runs.reduce((sum, x) => sum + f(x), 0) / runs.length;
  console.log(
    `mean of ${name}: ${Math.round(mean((x) => x.ms))} ms, relay CPU ${mean((x) => x.relay).toFixed(2)} s ` +
      `(event loop ${mean((x) => x.loop).toFixed(2)})`,
  );
}
server.child.kill('SIGKILL');
for (const c of clients) {
  c.closing = true;
  c.socket.close();
}
process.exit(0);
