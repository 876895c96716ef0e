import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpuSeconds, freePort, ownCpuSeconds, peakRssMb, startServer, stopChild } from './proc.mjs';
import { HeliosClient, LoadStats } from './relay-clients.mjs';

const N = Number(process.argv[2] ?? 1000),
  D = Number(process.argv[3] ?? 100),
  B = Number(process.argv[4] ?? 4),
  W = Number(process.argv[5] ?? 1);
const dir = mkdtempSync(join(tmpdir(), 'relay-bench-'));
const port = await freePort();
const srv = await startServer(
  [
    ...(process.env.PROF ? ['--cpu-prof', '--cpu-prof-dir', '/tmp/rb/prof'] : []),
    '../packages/server/dist/cli.js',
    '--region',
    'us-east-1',
    '--port',
    String(port),
    '--db',
    join(dir, 'relay.sqlite'),
    '--anonymous',
    '--log-level',
    'error',
  ],
  /listening on/,
);
const url = `http://127.0.0.1:${port}`;
const stats = new LoadStats();
const clients = [];
let t = performance.now();
for (let i = 0; i < N; i += 50) {
  const batch = [];
  for (let j = i; j < Math.min(N, i + 50); j++) {
    const c = new HeliosClient(url, `cart-${String(j % D).padStart(3, '0')}`, stats);
    clients.push(c);
    batch.push(c.start());
  }
  await Promise.all(batch);
}
console.log(
  'connected',
  N,
  (performance.now() - t).toFixed(0),
  'ms',
  'errors',
  stats.errors.length,
);
let running = true;
for (const c of clients)
  c.onAck = () => {
    if (running && c.outstanding === 0) c.push(B);
  };
const c0 = cpuSeconds(srv.pid),
  g0 = ownCpuSeconds();
t = performance.now();
stats.reset();
for (const c of clients) for (let w = 0; w < W; w++) c.push(B);
await new Promise((r) => setTimeout(r, 5000));
const el = (performance.now() - t) / 1000,
  acked = stats.acked,
  fan = stats.fanout;
const c1 = cpuSeconds(srv.pid),
  g1 = ownCpuSeconds();
running = false;
await new Promise((r) => setTimeout(r, 2000));
console.log({
  ackedPerSec: acked / el,
  fanPerSec: fan / el,
  relayCpu: (c1 - c0) / el,
  genCpu: (g1 - g0) / el,
  totalAcked: stats.acked,
  sent: stats.sent,
  fanout: stats.fanout,
  expected: stats.acked * (N / D - 1),
  errors: stats.errors.slice(0, 3),
  replicated: stats.replicated,
  rss: peakRssMb(srv.pid),
});
const m = await (await fetch(url + '/metrics')).text();
console.log(
  m
    .split('\n')
    .filter((l) => /helios_(commit|merge|refused|deltas)/.test(l) && !l.startsWith('#'))
    .join('\n'),
);
for (const c of clients) c.close();
await stopChild(srv.child);
rmSync(dir, { recursive: true, force: true });
