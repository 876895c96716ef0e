/**
 * Child processes for the relay benchmark: start a server, wait for its "listening" line, read
 * its CPU time and peak RSS from /proc, and make sure it dies with the benchmark.
 */
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on every Linux we run on). */
const CLK_TCK = 100;

/** Every child started here, so an exit or a signal can kill whatever is left. */
const live = new Set();
/** Temporary directories to remove on exit, even when a signal cut the run short. */
const scratch = new Set();

function killAll() {
  for (const child of live) {
    try {
      child.kill('SIGKILL');
    } catch {
      // Already gone.
    }
  }
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
}

/**
 * Removes `dir` when this process exits (however it exits), unless `forget` was called first.
 * @param {string} dir
 */
export function removeOnExit(dir) {
  scratch.add(dir);
  return { forget: () => scratch.delete(dir) };
}
process.once('exit', killAll);
for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM'])) {
  process.once(signal, () => {
    killAll();
    process.exit(130);
  });
}

/**
 * Kills `child` with this process, however this process ends (unless it has exited first).
 * @param {import('node:child_process').ChildProcess} child
 */
export function track(child) {
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/** @param {import('node:child_process').ChildProcess} child */
export function exited(child) {
  return child.exitCode !== null || child.signalCode !== null;
}

/** A free loopback port (the OS picks it; a race with another process is possible but rare). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {import('node:net').AddressInfo} */ (srv.address());
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Node flags of every server process under test, Helios' and the peers' alike: V8's young
 * generation at 64 MiB a semi-space instead of 16, as docs/production.md#node-flags recommends
 * for a relay (its deltas wait for their group commit longer than V8's default young generation
 * lasts under load). The peers get the same flag, so that every contender runs on the same
 * runtime settings.
 */
export const SERVER_NODE_FLAGS = Object.freeze(['--max-semi-space-size=64']);

/**
 * Starts `node <args>` and resolves once its stdout matches `ready`.
 * @param {string[]} args node arguments (flags, script, script arguments)
 * @param {RegExp} ready
 * @param {{ timeoutMs?: number, cwd?: string, env?: NodeJS.ProcessEnv }} [opts]
 */
export async function startServer(args, ready, opts = {}) {
  const child = spawn(process.execPath, args, {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  track(child);
  let output = '';
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start within ${opts.timeoutMs ?? 20_000} ms:\n${output}`));
    }, opts.timeoutMs ?? 20_000);
    const onExit = (/** @type {number | null} */ code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${output}`));
    };
    child.stdout.on('data', (/** @type {Buffer} */ chunk) => {
      output += chunk.toString();
      if (ready.test(output)) {
        clearTimeout(timer);
        child.off('exit', onExit);
        resolve(undefined);
      }
    });
    child.stderr.on('data', (/** @type {Buffer} */ chunk) => {
      output += chunk.toString();
    });
    child.once('exit', onExit);
  });
  // Keep draining both pipes, so a chatty child never blocks on a full pipe; keep the tail.
  const tail = { text: output.slice(-4000) };
  const keep = (/** @type {Buffer} */ chunk) => {
    tail.text = (tail.text + chunk.toString()).slice(-4000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  return {
    child,
    pid: /** @type {number} */ (child.pid),
    /** The last few kB of the child's output (for error reports). */
    output: () => tail.text,
  };
}

/**
 * Stops a child: `signal` first, SIGKILL after `graceMs`. Resolves when it has exited.
 * @param {import('node:child_process').ChildProcess} child
 * @param {NodeJS.Signals} [signal]
 * @param {number} [graceMs]
 */
export function stopChild(child, signal = 'SIGTERM', graceMs = 5000) {
  if (exited(child)) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(undefined);
    });
    child.kill(signal);
  });
}

/**
 * CPU seconds (user + system) a process has used so far.
 * @param {number} pid
 */
export function cpuSeconds(pid) {
  return cpuOfStat(`/proc/${pid}/stat`);
}

/**
 * CPU seconds (user + system) a process's main thread (its event loop, for node) has used so
 * far; {@link cpuSeconds} minus this is its other threads' (V8's compiler and GC helpers,
 * worker threads).
 * @param {number} pid
 */
export function mainThreadCpuSeconds(pid) {
  return cpuOfStat(`/proc/${pid}/task/${pid}/stat`);
}

/** @param {string} path a process's or a thread's stat file */
function cpuOfStat(path) {
  const stat = readFileSync(path, 'utf8');
  // The command name (field 2) may hold spaces; count fields after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/**
 * Bytes a process (all its threads) has caused to be written to storage so far (`write_bytes`
 * of /proc/<pid>/io): a relay's log, database and checkpoint writes.
 * @param {number} pid
 */
export function storageWriteBytes(pid) {
  const m = /^write_bytes:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'));
  if (m === null) throw new Error(`no write_bytes for ${pid}`);
  return Number(m[1]);
}

/**
 * Write-type syscalls (write, writev, send…, all threads) a process has made so far
 * (`syscw` of /proc/<pid>/io): what a relay pays per frame it puts on a socket.
 * @param {number} pid
 */
export function writeSyscalls(pid) {
  const m = /syscw:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/io`, 'utf8'));
  if (m === null) throw new Error(`no syscw for ${pid}`);
  return Number(m[1]);
}

/**
 * Peak resident set size (VmHWM) of a live process, in MiB.
 * @param {number} pid
 */
export function peakRssMb(pid) {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (m === null) throw new Error(`no VmHWM for ${pid}`);
  return Number(m[1]) / 1024;
}

/** CPU seconds this process has used so far. */
export function ownCpuSeconds() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}
