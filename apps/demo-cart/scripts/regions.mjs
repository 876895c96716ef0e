// The five demo regions, their relay ports, and the injected one-way latencies between them.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** p50 round-trip times between the five AWS regions (see config/regions.json for the source). */
export const RTT_FILE = fileURLToPath(new URL('../../../config/regions.json', import.meta.url));

const data = JSON.parse(readFileSync(RTT_FILE, 'utf8'));

/** @type {readonly string[]} */
export const REGIONS = data.regions;

/** Relay port of each region: 4101 for the first, and so on. */
export function relayPort(region, base = 4101) {
  const i = REGIONS.indexOf(region);
  if (i < 0) throw new Error(`unknown region ${region}`);
  return base + i;
}

/** One-way delay between two regions in ms: half the p50 round trip. */
export function oneWayMs(a, b) {
  const pair = data.rttMs.find((p) => (p.a === a && p.b === b) || (p.a === b && p.b === a));
  if (!pair) throw new Error(`no RTT for ${a} ↔ ${b}`);
  return pair.p50 / 2;
}
