/**
 * The flood benchmark's harness (see flood.mjs): the load-generator processes that hold the
 * flooding connections, and the prober that connects new clients throughout.
 */
import { fork } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jwtFor, probeConnect } from './flood-clients.mjs';
import { track } from './proc.mjs';

const here = dirname(fileURLToPath(import.meta.url));

/**
 * A load-generator process and a way to wait for its next message of a type.
 * @param {Record<string, unknown>} init
 */
export async function startLoad(init) {
  const child = track(fork(join(here, 'flood-load.mjs'), [], { stdio: 'inherit' }));
  /** @type {Map<string, (m: any) => void>} */
  const waiting = new Map();
  child.on('message', (/** @type {any} */ m) => {
    if (m.type === 'error') throw new Error(`flood load process: ${m.message}`);
    waiting.get(m.type)?.(m);
    waiting.delete(m.type);
  });
  const next = (/** @type {string} */ type) => new Promise((resolve) => waiting.set(type, resolve));
  const ready = next('ready');
  child.send({ type: 'init', ...init });
  await ready;
  return {
    child,
    /** @param {number} n */
    flood: (n) => child.send({ type: 'flood', n }),
    /** @returns {Promise<any>} */
    stop: () => {
      const stopped = next('stopped');
      child.send({ type: 'stop' });
      return stopped;
    },
  };
}

/**
 * New clients connecting every `everyMs` (each a new user with a new replica id) while the
 * benchmark runs; each records when it started and how long it took to be welcomed.
 */
export class Prober {
  /**
   * @param {string} url
   * @param {string} secret
   * @param {number} timeoutMs
   */
  constructor(url, secret, timeoutMs) {
    this.url = url;
    this.secret = secret;
    this.timeoutMs = timeoutMs;
    /** @type {{ at: number, ms: number, error?: string }[]} */
    this.probes = [];
    /** @type {Promise<unknown>[]} */
    this.inFlight = [];
    this.n = 0;
    /** @type {ReturnType<typeof setInterval> | undefined} */
    this.timer = undefined;
  }

  /** @param {number} everyMs */
  every(everyMs) {
    clearInterval(this.timer);
    this.timer = setInterval(() => this.probe(), everyMs);
  }

  probe() {
    const at = performance.now();
    const token = jwtFor(this.secret, `probe-${this.n++}`);
    this.inFlight.push(
      probeConnect(this.url, token, this.timeoutMs).then(
        (ms) => this.probes.push({ at, ms }),
        (err) => this.probes.push({ at, ms: performance.now() - at, error: String(err) }),
      ),
    );
  }

  async stop() {
    clearInterval(this.timer);
    await Promise.all(this.inFlight);
  }

  /** @param {number} from @param {number} to */
  between(from, to) {
    return this.probes.filter((p) => p.at >= from && p.at < to);
  }
}
