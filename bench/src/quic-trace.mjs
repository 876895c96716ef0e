/**
 * The writes of the QUIC benchmark and when each became visible: a writer client at A increments
 * a grow-only counter at a steady rate, an observer client at B watches its value. Write `i`
 * (0-based) is visible at B once B's value reaches `i + 1`: one writer's counter only grows, and
 * its deltas reach B in feed order, so the value also says that every earlier write arrived.
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

/** An SDK client of `url` (memory persistence) with the counter open, online and loaded. */
async function openCounter(/** @type {string} */ url, /** @type {string} */ name) {
  const client = createClient({ relays: [url], persistence: 'memory', dbName: name });
  const counter = client.gCounter(DOC);
  if (!(await waitFor(() => client.status.connection === 'online', 30_000)))
    throw new Error(`quic bench: ${name} did not come online at ${url}`);
  await counter.loaded;
  return { client, counter };
}

/**
 * @param {string} writerUrl the relay of region A
 * @param {string} observerUrl the relay of region B
 * @param {string} tag distinguishes the clients' databases per contender
 */
export async function startTrace(writerUrl, observerUrl, tag) {
  const writer = await openCounter(writerUrl, `quic-${tag}-writer`);
  const observer = await openCounter(observerUrl, `quic-${tag}-observer`);
  /** @type {number[]} */
  const writtenAt = [];
  /** @type {number[]} */
  const seenAt = [];
  let acked = 0;
  observer.counter.subscribe(() => {
    const now = performance.now();
    const value = Number(observer.counter.value);
    for (let i = seenAt.length; i < Math.min(value, writtenAt.length); i++) seenAt.push(now);
  });
  /** @type {ReturnType<typeof setInterval> | undefined} */
  let timer;

  const write = () => {
    writtenAt.push(performance.now());
    writer.counter
      .increment()
      .wait('relay')
      .then(
        () => acked++,
        () => {},
      );
  };

  return {
    writtenAt,
    seenAt,
    /** Writes acknowledged by A's relay (receipt level `relay`: committed there). */
    acked: () => acked,
    /** B's value: the writes visible there. */
    observed: () => Number(observer.counter.value),
    /** Starts writing `perSecond` increments a second (one every 1000/perSecond ms). */
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
      waitFor(() => seenAt.length > i, ms),
    /** Write → visible at B (ms) of writes `from` … `to - 1` that became visible. */
    latencies(/** @type {number} */ from, /** @type {number} */ to) {
      const out = [];
      for (let i = from; i < Math.min(to, seenAt.length); i++)
        out.push(/** @type {number} */ (seenAt[i]) - /** @type {number} */ (writtenAt[i]));
      return out;
    },
    async close() {
      clearInterval(timer);
      await Promise.all([writer.client.close(), observer.client.close()]);
    },
  };
}
