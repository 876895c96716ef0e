/** Machine description and the results file. */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { arch, cpus, loadavg, platform, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const benchDir = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Version of an installed package, read from its package.json (some packages do not export it,
 * so it is found by walking up the node_modules directories).
 * @param {string} name
 */
export function packageVersion(name) {
  let dir = benchDir;
  for (;;) {
    try {
      return JSON.parse(readFileSync(join(dir, 'node_modules', name, 'package.json'), 'utf8'))
        .version;
    } catch {
      const up = dirname(dir);
      if (up === dir) return 'unknown';
      dir = up;
    }
  }
}

/** The 1-minute load average, two decimals. */
export function loadAverage() {
  return Math.round((loadavg()[0] ?? 0) * 100) / 100;
}

/** Taken before a run: `loadAverage1m` is then the load of the other processes. */
export function machineInfo() {
  const cpu = cpus();
  return {
    node: process.version,
    platform: `${platform()} ${arch()}`,
    cpu: cpu[0]?.model.trim() ?? 'unknown',
    cores: cpu.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    // Other processes compete for the cores: a load near the core count means noisy figures.
    loadAverage1m: loadAverage(),
    versions: {
      '@helios/core': packageVersion('@helios/core'),
      yjs: packageVersion('yjs'),
      'loro-crdt': packageVersion('loro-crdt'),
      '@automerge/automerge': packageVersion('@automerge/automerge'),
      msgpackr: packageVersion('msgpackr'),
    },
  };
}

/**
 * Writes `bench/results/<name>.json` through a temporary file, so an interrupted run never
 * leaves a truncated results file behind.
 * @param {string} name
 * @param {unknown} report
 * @returns {string} the path written
 */
export function writeResults(name, report) {
  const path = join(benchDir, 'results', `${name}.json`);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(`${path}.tmp`, `${JSON.stringify(report, null, 2)}\n`);
  renameSync(`${path}.tmp`, path);
  return path;
}
