/**
 * CPU time of the local services a relay region uses (Postgres, Redis), read from /proc like the
 * relays' own: the Postgres backends serving the relays' connections, Postgres' background
 * processes (shared with anyone else using that server), and the Redis server.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { cpuSeconds } from './proc.mjs';

/** @typedef {{ group: string, pid: number }} Member */

/** Every process's pid, command name (`comm`) and command line. */
function processes() {
  /** @type {{ pid: number, comm: string, cmdline: string }[]} */
  const out = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
      out.push({ pid: Number(entry), comm, cmdline });
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return out;
}

/**
 * The local ports of the TCP connections `pids` hold to `remotePort` on this machine.
 * @param {readonly number[]} pids
 * @param {number} remotePort
 */
function localPortsTo(pids, remotePort) {
  /** @type {Set<string>} */
  const inodes = new Set();
  for (const pid of pids) {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) inodes.add(/** @type {string} */ (m[1]));
      } catch {
        // Closed meanwhile.
      }
    }
  }
  /** @type {Set<number>} */
  const ports = new Set();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const lines = readFileSync(table, 'utf8').trim().split('\n').slice(1);
    for (const line of lines) {
      const f = line.trim().split(/\s+/);
      const local = /** @type {string} */ (f[1]);
      const remote = /** @type {string} */ (f[2]);
      if (!inodes.has(/** @type {string} */ (f[9]))) continue;
      if (Number.parseInt(remote.slice(remote.indexOf(':') + 1), 16) !== remotePort) continue;
      ports.add(Number.parseInt(local.slice(local.indexOf(':') + 1), 16));
    }
  }
  return ports;
}

/**
 * The processes of a local Postgres and Redis that serve `clients` (the relays' pids, read at
 * each call: their pools open connections as they go).
 * @param {{ clients: () => readonly number[], pgPort?: number, redisPort?: number }} o
 * @returns {Member[]}
 */
function members(o) {
  const all = processes();
  /** @type {Member[]} */
  const out = [];
  if (o.pgPort !== undefined) {
    const ports = localPortsTo(o.clients(), o.pgPort);
    for (const p of all) {
      if (p.comm !== 'postgres') continue;
      const client = /\((\d+)\)/.exec(p.cmdline);
      if (client === null) out.push({ group: 'postgres background', pid: p.pid });
      else if (ports.has(Number(client[1]))) out.push({ group: 'postgres backends', pid: p.pid });
    }
  }
  if (o.redisPort !== undefined) {
    for (const p of all) {
      if (p.comm === 'redis-server' && p.cmdline.includes(`:${o.redisPort}`)) {
        out.push({ group: 'redis', pid: p.pid });
      }
    }
  }
  return out;
}

/**
 * A meter of the services' CPU seconds since it was made, by group. A process that starts
 * between two readings counts from its start; one that ends counts up to the last reading that
 * saw it. Postgres' background processes and Redis serve whoever else uses them too.
 * @param {{ clients: () => readonly number[], pgPort?: number, redisPort?: number }} o
 * @returns {() => Record<string, number>}
 */
export function serviceCpuMeter(o) {
  /** CPU seconds of each process at the last reading. @type {Map<number, number>} */
  const last = new Map();
  /** @type {Record<string, number>} */
  const total = {};
  const read = (/** @type {boolean} */ baseline) => {
    for (const { group, pid } of members(o)) {
      let now;
      try {
        now = cpuSeconds(pid);
      } catch {
        continue; // ended meanwhile
      }
      total[group] = (total[group] ?? 0) + (baseline ? 0 : now - (last.get(pid) ?? 0));
      last.set(pid, now);
    }
    return { ...total };
  };
  read(true);
  return () => read(false);
}

/**
 * The port of a service URL when it is on this machine (its processes are then in /proc).
 * @param {string} url
 * @param {number} defaultPort
 */
export function localPort(url, defaultPort) {
  const u = new URL(url);
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname)) return undefined;
  return u.port === '' ? defaultPort : Number(u.port);
}
