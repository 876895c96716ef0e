/**
 * The writes of the QUIC benchmark and when each became visible: a writer client at A adds one
 * new element to an add-wins set at a steady rate, an observer client at B watches the set. Write
 * `i` (0-based) adds `i` and is visible at B once B's set has it. Each write is measured on its
 * own: a later write does not carry an earlier one (as a counter's total would), so a write held
 * up behind a lost packet counts as late even when the writes after it overtook it.
 * Both clients live in this process, so write and visibility times share one clock.
 */
import { createClient } from '@helios/client';

const DOC = 'quic:deltas';

const sleep = (/** @type {number} */ ms) => new Promise((r) => setTimeout(r, ms));

/** Resolves once `ok()` holds, checking every 5 ms; false after `ms`. */
export async function waitFor(/** @type {() => boolean} */ ok, /** @type {number} */ ms) {
  const deadline = performance.now() + ms;
  while (!ok()) {
    if (performance.now() > deadline) return false;
    await sleep(5);
  }
  return true;
}

/** An SDK client of `url` (memory persistence) with the set open, online and loaded. */
async function openSet(/** @type {string} */ url, /** @type {string} */ name) {
  const client = createClient({ relays: [url], persistence: 'memory', dbName: name });
  const set = /** @type {import('@helios/client').AWSetHandle<number>} */ (client.awSet(DOC));
  if (!(await waitFor(() => client.status.connection === 'online', 30_000)))
    throw new Error(`quic bench: ${name} did not come online at ${url}`);
  await set.loaded;
  return { client, set };
}

/**
 * @param {string} writerUrl the relay of region A
 * @param {string} observerUrl the relay of region B
 * @param {string} tag distinguishes the clients' databases per contender
 */
export async function startTrace(writerUrl, observerUrl, tag) {
  const writer = await openSet(writerUrl, `quic-${tag}-writer`);
  const observer = await openSet(observerUrl, `quic-${tag}-observer`);
  /** @type {number[]} */
  const writtenAt = [];
  /** When write `i` became visible at B; a hole while it is not. */
  /** @type {number[]} */
  const seenAt = [];
  /** Writes not visible at B yet: few at a time, so each update checks them all. */
  /** @type {Set<number>} */
  const unseen = new Set();
  let seen = 0;
  /** @type {Set<number>} */
  const acked = new Set();
  observer.set.subscribe(() => {
    const now = performance.now();
    for (const i of unseen) {
      if (!observer.set.has(i)) continue;
      unseen.delete(i);
      seenAt[i] = now;
      seen++;
    }
  });
  /** @type {ReturnType<typeof setInterval> | undefined} */
  let timer;

  const write = () => {
    const i = writtenAt.length;
    writtenAt.push(performance.now());
    unseen.add(i);
    writer.set
      .add(i)
      .wait('relay')
      .then(
        () => acked.add(i),
        () => {},
      );
  };

  return {
    writtenAt,
    seenAt,
    /** Writes acknowledged by A's relay (receipt level `relay`: committed there). */
    acked: () => acked.size,
    /** Writes acknowledged by A's relay that are not visible at B. */
    ackedLost: () => [...acked].filter((i) => seenAt[i] === undefined).length,
    /** The writes visible at B. */
    observed: () => seen,
    /** Starts writing `perSecond` writes a second (one every 1000/perSecond ms). */
    start(/** @type {number} */ perSecond) {
      timer = setInterval(write, 1000 / perSecond);
    },
    stop() {
      clearInterval(timer);
    },
    /** The index of the first write at or after `t`, once one has been written. */
    async firstWriteAfter(/** @type {number} */ t) {
      await waitFor(() => (writtenAt.at(-1) ?? -1) >= t, 10_000);
      return writtenAt.findIndex((w) => w >= t);
    },
    /** Waits until write `i` is visible at B (false after `ms`). */
    seen: (/** @type {number} */ i, /** @type {number} */ ms) =>
      waitFor(() => seenAt[i] !== undefined, ms),
    /** Write → visible at B (ms) of writes `from` … `to - 1` that became visible. */
    latencies(/** @type {number} */ from, /** @type {number} */ to) {
      const out = [];
      for (let i = from; i < Math.min(to, writtenAt.length); i++) {
        const at = seenAt[i];
        if (at !== undefined) out.push(at - /** @type {number} */ (writtenAt[i]));
      }
      return out;
    },
    async close() {
      clearInterval(timer);
      await Promise.all([writer.client.close(), observer.client.close()]);
    },
  };
}
