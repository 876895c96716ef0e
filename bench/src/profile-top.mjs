/**
 * Top self-time functions of a V8 CPU profile (`node --cpu-prof`):
 * `node src/profile-top.mjs <file.cpuprofile> [count]`. The relay benchmark's `--profile` flag
 * writes one for the relay child; this turns it into the table the README quotes.
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * @typedef {{ id: number, callFrame: { functionName: string, url: string, lineNumber: number },
 *   children?: number[] }} ProfileNode
 */

/**
 * Self time per function (name + file + line), largest first, with its share of the samples.
 * @param {string} path
 * @param {number} [count]
 */
export function topSelfTime(path, count = 25) {
  /** @type {{ nodes: ProfileNode[], samples: number[], timeDeltas: number[] }} */
  const profile = JSON.parse(readFileSync(path, 'utf8'));
  /** @type {Map<number, ProfileNode>} */
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  /** @type {Map<string, number>} µs per function */
  const self = new Map();
  /** @type {Map<string, number>} µs per package or area */
  const areas = new Map();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i]);
    const dt = profile.timeDeltas[i] ?? 0;
    if (node === undefined) continue;
    total += dt;
    const { functionName, url } = node.callFrame;
    const key = keyOf(node);
    self.set(key, (self.get(key) ?? 0) + dt);
    areas.set(areaOf(url, functionName), (areas.get(areaOf(url, functionName)) ?? 0) + dt);
  }
  // Inclusive time: each node's samples count for every distinct function on its stack.
  /** @type {Map<number, number>} µs sampled in each node itself */
  const nodeSelf = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = /** @type {number} */ (profile.samples[i]);
    nodeSelf.set(id, (nodeSelf.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  /** @type {Map<string, number>} */
  const inclusive = new Map();
  /** @type {Map<number, number>} */
  const parentOf = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n.id);
  for (const [id, us] of nodeSelf) {
    /** @type {Set<string>} */
    const seen = new Set();
    for (let at = /** @type {number | undefined} */ (id); at !== undefined; at = parentOf.get(at)) {
      const node = /** @type {ProfileNode} */ (byId.get(at));
      const { url } = node.callFrame;
      // Only the project's own functions: the question is which of its steps costs what.
      if (!url.includes('/packages/')) continue;
      const key = keyOf(node);
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + us);
    }
  }
  const rows = (/** @type {Map<string, number>} */ m, /** @type {number} */ n) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, us]) => ({ name, ms: Math.round(us / 1000), share: us / total }));
  return {
    totalMs: Math.round(total / 1000),
    functions: rows(self, count),
    areas: rows(areas, 20),
    inclusive: rows(inclusive, count),
  };
}

/** @param {ProfileNode} node */
function keyOf(node) {
  const { functionName, url, lineNumber } = node.callFrame;
  const file = url.startsWith('file://') ? relative(process.cwd(), fileURLToPath(url)) : url;
  return `${functionName || '(anonymous)'} ${file}${file ? `:${lineNumber + 1}` : ''}`;
}

/**
 * Which package or part of the runtime a frame belongs to.
 * @param {string} url
 * @param {string} fn
 */
function areaOf(url, fn) {
  if (url === '') return fn.startsWith('(') ? fn : '(native)';
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1];
  if (url.startsWith('node:')) return url;
  if (url.includes('/packages/')) return url.replace(/.*\/packages\//, 'packages/');
  return url;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const file = process.argv[2];
  if (file === undefined) {
    console.error('usage: node src/profile-top.mjs <file.cpuprofile> [count]');
    process.exit(2);
  }
  const { totalMs, functions, areas, inclusive } = topSelfTime(file, Number(process.argv[3] ?? 25));
  const pct = (/** @type {number} */ s) => `${(s * 100).toFixed(1).padStart(5)}%`;
  console.log(`total ${totalMs} ms sampled\n\nself time by function:`);
  for (const r of functions)
    console.log(`${pct(r.share)} ${String(r.ms).padStart(6)} ms  ${r.name}`);
  console.log('\nself time by file / package:');
  for (const r of areas) console.log(`${pct(r.share)} ${String(r.ms).padStart(6)} ms  ${r.name}`);
  console.log("\ninclusive time of the project's own functions (callees included):");
  for (const r of inclusive)
    console.log(`${pct(r.share)} ${String(r.ms).padStart(6)} ms  ${r.name}`);
}
