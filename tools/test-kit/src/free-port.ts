import { createServer } from 'node:net';

/**
 * A loopback port that was free a moment ago, for relays that must know each other's ports up
 * front and that restart on the same port. It is taken below the ephemeral range (Linux:
 * 32768–60999), where the OS never hands out ports on its own: a relay's port, free while it
 * is down, cannot meanwhile become the local port of some outgoing connection or of a
 * `listen(0)`. Test files run in parallel workers, and one worker's stopped relay leaves its port
 * free until it restarts: each worker picks from a range of its own, so no other worker can take
 * that port meanwhile.
 */
export async function freePort(): Promise<number> {
  const worker = Number(process.env.VITEST_POOL_ID ?? 1);
  const base = 20_000 + ((Math.max(1, worker) - 1) % PORT_RANGES) * PORTS_PER_WORKER;
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = base + Math.floor(Math.random() * PORTS_PER_WORKER);
    // A port handed out before may be a relay's that is down, or one not listening yet.
    if (handedOut.has(port) || !(await canListen(port))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error(`no free loopback port found between ${base} and ${base + PORTS_PER_WORKER}`);
}

/** Ports this worker has handed out: never twice, so two relays cannot be given one port. */
const handedOut = new Set<number>();
/** 12 ranges of 1,000 ports between 20000 and 32000, one per parallel test worker. */
const PORT_RANGES = 12;
const PORTS_PER_WORKER = 1_000;

async function canListen(port: number): Promise<boolean> {
  const server = createServer();
  const ok = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => resolve(true));
  });
  if (ok) await new Promise<void>((r) => server.close(() => r()));
  return ok;
}
