// Keeps a demo relay running: when its process exits (a crash, a kill), it is started again.
import { stopRelays } from './relays.mjs';

/** The first restart waits this long; each further one twice as long, up to RESTART_MAX_MS. */
export const RESTART_MIN_MS = 500;
export const RESTART_MAX_MS = 8_000;
/** A relay up for this long counts as healthy: if it exits later, the delay starts over. */
export const STABLE_MS = 30_000;

/**
 * Watches a started relay. When its process exits, logs it and calls `start` for a new one after
 * a delay that doubles while the relay keeps dying (so a relay that cannot start, e.g. because
 * its port is taken, does not spin), and that starts over once a relay stayed up `stableMs`.
 * `stop()` ends the supervision before stopping the relay: nothing is restarted during shutdown.
 *
 * @typedef {import('./relays.mjs').RunningRelay} RunningRelay
 * @param {{ relay: RunningRelay, start: () => Promise<RunningRelay>, log: (line: string) => void,
 *   minMs?: number, maxMs?: number, stableMs?: number }} options
 * @returns {{ readonly relay: RunningRelay, stop: () => Promise<void> }}
 */
export function supervise({
  relay,
  start,
  log,
  minMs = RESTART_MIN_MS,
  maxMs = RESTART_MAX_MS,
  stableMs = STABLE_MS,
}) {
  const name = `relay ${relay.region}`;
  let current = relay;
  let startedAt = Date.now();
  let delay = minMs;
  let stopping = false;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  /** A restart under way; `stop()` waits for it, so the relay it starts is stopped too. */
  let restarting = Promise.resolve();

  watch(current);
  return {
    get relay() {
      return current;
    },
    async stop() {
      stopping = true;
      clearTimeout(timer);
      await restarting;
      await stopRelays([current]);
    },
  };

  function watch(running) {
    running.child.once('exit', (code, signal) => {
      if (stopping) return;
      if (Date.now() - startedAt >= stableMs) delay = minMs;
      log(`${name} exited (${signal ?? `code ${code}`}); restarting in ${seconds(delay)}`);
      schedule();
    });
  }

  function schedule() {
    const wait = delay;
    delay = Math.min(maxMs, delay * 2);
    timer = setTimeout(() => {
      restarting = start().then(
        (next) => {
          current = next;
          startedAt = Date.now();
          if (stopping) return; // stop() is waiting for this one, and stops it
          log(`${name} is running again`);
          watch(next);
        },
        (err) => {
          if (stopping) return;
          // startRelays' error ends with the relay's own output: its last line says why.
          const lines = String(err instanceof Error ? err.message : err)
            .trim()
            .split('\n');
          const reason = lines[lines.length - 1];
          log(`${name} did not start (${reason}); retrying in ${seconds(delay)}`);
          schedule();
        },
      );
    }, wait);
  }
}

function seconds(ms) {
  return `${ms / 1000} s`;
}
