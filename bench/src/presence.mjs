/**
 * Presence benchmark (issue #18, docs/presence.md): how long a presence set takes to show in
 * another client's `others`, in the writer's region and in a peer region.
 *
 * Two relays in this process (memory stores, anonymous), eu-west-1 and ap-southeast-1, peered
 * with `oneWayMs` injected on each direction of their link (the relays' `latencyMs`, as the
 * stock suite does). Three SDK clients (memory persistence) open one document: a writer and a
 * reader in eu-west-1, a reader in ap-southeast-1. The writer sets its presence `sets` times,
 * one every `gapMs` (more than the handle's 100 ms coalescing interval, so each set goes at once,
 * and within the relay's 20 sets/s); each state carries its send time, and each reader records
 * when it sees it (same process, same clock). Figures:
 * - `presenceP99Ms`: p99 of that delay for the reader in the writer's region;
 * - `presenceCrossRegionP99Ms`: the same for the reader in the peer region, against the
 *   one-way delay (goal: one-way + 10 ms, the design brief's target for cross-region sync).
 */
import { createClient } from '@helios/client';
import { GCounter } from '@helios/core';
import { createRelay, MemoryStore } from '@helios/server';
import { pino } from 'pino';
import { freePort } from './proc.mjs';
import { median, percentile, round2 } from './stats.mjs';

const REGIONS = ['eu-west-1', 'ap-southeast-1'];
const DOC = 'presence:room';
const FULL = { sets: 300, gapMs: 120, oneWayMs: 50 };
const QUICK = { ...FULL, sets: 60 };

/** @typedef {import('./core.mjs').Result} Result */

const sleep = (/** @type {number} */ ms) => new Promise((r) => setTimeout(r, ms));

/** Resolves once `ok()` holds, checking every 10 ms; rejects after `ms`. */
async function until(/** @type {() => boolean} */ ok, ms = 30_000) {
  const deadline = performance.now() + ms;
  while (!ok()) {
    if (performance.now() > deadline) throw new Error('presence bench: timed out waiting');
    await sleep(10);
  }
}

/** Two relays, peered directly with `oneWayMs` each way. */
async function startRegions(/** @type {typeof FULL} */ cfg) {
  const ports = new Map();
  for (const region of REGIONS) ports.set(region, await freePort());
  const url = (/** @type {string} */ region) => `http://127.0.0.1:${ports.get(region)}`;
  const relays = [];
  for (const region of REGIONS) {
    const relay = createRelay({
      region,
      store: new MemoryStore({ region }),
      anonymous: true,
      logger: pino({ level: 'silent' }),
      peers: REGIONS.filter((r) => r !== region).map((r) => ({
        region: r,
        url: url(r),
        latencyMs: cfg.oneWayMs,
      })),
    });
    await relay.listen(ports.get(region));
    relays.push(relay);
  }
  return { url, close: () => Promise.all(relays.map((r) => r.close())) };
}

/** An SDK client of `url` with the document open, online and loaded, and its presence handle. */
async function openRoom(/** @type {string} */ url, /** @type {string} */ name) {
  const client = createClient({ relays: [url], persistence: 'memory', dbName: name });
  const doc = client.open(DOC, GCounter);
  await until(() => client.status.connection === 'online');
  await doc.loaded;
  return { client, presence: client.presence(DOC) };
}

/**
 * @param {{ quick: boolean, log: (s: string) => void }} opts
 * @returns {Promise<{ results: Result[], config: Record<string, unknown> }>}
 */
export async function runPresence({ quick, log }) {
  const cfg = quick ? QUICK : FULL;
  const regions = await startRegions(cfg);
  /** @type {{ client: import('@helios/client').HeliosClient }[]} */
  const opened = [];
  try {
    const writer = await openRoom(regions.url('eu-west-1'), 'presence-writer');
    const near = await openRoom(regions.url('eu-west-1'), 'presence-near');
    const far = await openRoom(regions.url('ap-southeast-1'), 'presence-far');
    opened.push(writer, near, far);
    /** Each reader's delay per set, by its sequence number. */
    const delays = [near, far].map(({ presence }) => {
      /** @type {Map<number, number>} */
      const seen = new Map();
      presence.subscribe((others) => {
        const now = performance.now();
        for (const o of others) {
          const state = /** @type {{ seq?: number, at?: number }} */ (o.state);
          if (state.seq !== undefined && state.at !== undefined && !seen.has(state.seq)) {
            seen.set(state.seq, now - state.at);
          }
        }
      });
      return seen;
    });
    // A first set both readers see: the link is up and the document subscribed everywhere.
    writer.presence.set({ seq: -1, at: performance.now() });
    await until(() => delays.every((d) => d.has(-1)));
    for (const d of delays) d.clear();
    log(
      `3 clients online, presence seen in both regions; ${cfg.sets} sets, one every ${cfg.gapMs} ms`,
    );
    for (let seq = 0; seq < cfg.sets; seq++) {
      writer.presence.set({ seq, at: performance.now() });
      await sleep(cfg.gapMs);
    }
    await until(() => delays.every((d) => d.size === cfg.sets), 10_000).catch(() => {});
    const [nearMs, farMs] = delays.map((d) => [...d.values()]);
    const nearP99 = percentile(nearMs ?? [], 99);
    const farP99 = percentile(farMs ?? [], 99);
    log(
      `in-region p50 ${round2(median(nearMs ?? []))} ms, p99 ${round2(nearP99)} ms (${nearMs?.length} of ${cfg.sets} seen); ` +
        `cross-region p50 ${round2(median(farMs ?? []))} ms, p99 ${round2(farP99)} ms (${farMs?.length} seen; one-way ${cfg.oneWayMs} ms)`,
    );
    const setup = `writer and one reader in eu-west-1, one reader in ap-southeast-1 (SDK clients, memory persistence, one process with both relays); ${cfg.sets} sets, one every ${cfg.gapMs} ms`;
    const allSeen = nearMs?.length === cfg.sets && farMs?.length === cfg.sets;
    return {
      results: [
        {
          metric: 'presenceP99Ms',
          value: round2(nearP99),
          unit: 'ms',
          better: 'lower',
          note: `in-region: set → shown in another client of the same relay; p50 ${round2(median(nearMs ?? []))} ms; ${nearMs?.length} of ${cfg.sets} sets seen; ${setup}`,
        },
        {
          metric: 'presenceCrossRegionP99Ms',
          value: round2(farP99),
          unit: 'ms',
          better: 'lower',
          goal: `<= ${cfg.oneWayMs + 10} (one-way + 10 ms)`,
          goalMet: allSeen && farP99 <= cfg.oneWayMs + 10,
          note: `cross-region: set in eu-west-1 → shown in a client of ap-southeast-1, over the peer link with ${cfg.oneWayMs} ms injected one way; p50 ${round2(median(farMs ?? []))} ms; ${farMs?.length} of ${cfg.sets} sets seen`,
        },
      ],
      config: { ...cfg, regions: REGIONS },
    };
  } finally {
    await Promise.all(opened.map((o) => o.client.close()));
    await regions.close();
  }
}
