/**
 * The browser suite's result rows from the two durability modes it measures (see browser.mjs):
 * `relaxed`, the client's default, gives the headline figures; `strict` is what a receipt
 * `local` that also survives an operating-system crash would cost.
 */
import { percentile } from '../stats.mjs';
import { r2 } from './common.mjs';

/** @typedef {import('./browser.mjs').ModeResult} ModeResult */

const ms = (/** @type {number[]} */ xs, /** @type {number} */ p) =>
  Math.round(percentile(xs, p) * 1000) / 1000;

/**
 * @param {string} metric
 * @param {number} value
 * @param {string} unit
 * @param {string} note
 * @param {number} [goal] met when value <= goal
 */
function row(metric, value, unit, note, goal = undefined) {
  return {
    metric,
    value,
    unit,
    better: 'lower',
    ...(goal === undefined ? {} : { goal: `<= ${goal}`, goalMet: value <= goal }),
    note,
  };
}

/**
 * @param {ModeResult} relaxed
 * @param {ModeResult} strict
 * @param {number} writes per mode
 * @param {string} setup
 */
export function writeRows(relaxed, strict, writes, setup) {
  const local = relaxed.online.map((x) => x.local);
  const bare = relaxed.online.map((x) => x.bare);
  const offline = relaxed.offline.map((x) => x.local);
  const bareOffline = relaxed.offline.map((x) => x.bare);
  const visible = relaxed.online.map((x) => x.visible);
  const strictLocal = strict.online.map((x) => x.local);
  const strictBare = strict.online.map((x) => x.bare);
  const c = relaxed.clock;
  const missing = relaxed.missing > 0 ? `; ${relaxed.missing} writes never showed` : '';
  return [
    row(
      'localWriteVisibleP50Ms',
      ms(visible, 50),
      'ms',
      `handle.set → the handle's listener sees the value (synchronous, in memory); ${setup}`,
    ),
    row(
      'localWriteVisibleP99Ms',
      ms(visible, 99),
      'ms',
      'handle.set → the listener sees the value',
    ),
    row(
      'localCommitP50Ms',
      ms(local, 50),
      'ms',
      `handle.set → receipt \`local\`: the IndexedDB transaction (one outbox record, durability relaxed, the default) completed. Records added during the ${writes} online writes: ${relaxed.logAdds[0]} to the outbox by the writer tab (one per write; moved to the log once acknowledged), ${relaxed.logAdds[1]} to the log by the other tab (the relay's copies of writes it already had over BroadcastChannel)`,
    ),
    row(
      'localCommitP99Ms',
      ms(local, 99),
      'ms',
      'handle.set → receipt `local` (durability relaxed)',
    ),
    row(
      'bareIdbCommitP50Ms',
      ms(bare, 50),
      'ms',
      'the floor, without Helios, in the same page: one IndexedDB readwrite transaction (durability relaxed) adding one 40-byte record, transaction() → complete; one after each online write, 5–15 ms later',
    ),
    row(
      'bareIdbCommitP99Ms',
      ms(bare, 99),
      'ms',
      'the floor: one bare IndexedDB transaction (relaxed)',
    ),
    row(
      'localCommitP99VsBareIdb',
      r2(percentile(local, 99) / percentile(bare, 99)),
      'x',
      'localCommitP99Ms / bareIdbCommitP99Ms, both relaxed, write by write in the same rounds',
      1.1,
    ),
    row(
      'otherTabP50Ms',
      ms(relaxed.otherTab, 50),
      'ms',
      `handle.set → the value shows in the other tab (posted over BroadcastChannel as its commit starts, or from the relay, whichever is first); tab clocks aligned with an offset of ${r2(c.offsetMs)} ms (fastest of 200 BroadcastChannel round trips, ${r2(c.minRttMs)} ms; median round trip ${r2(c.medianRttMs)} ms)${missing}`,
    ),
    row(
      'otherTabP99Ms',
      ms(relaxed.otherTab, 99),
      'ms',
      'handle.set → the value shows in the other tab',
    ),
    row(
      'otherTabP99OverLocalCommitMs',
      r2(percentile(relaxed.otherTab, 99) - percentile(local, 99)),
      'ms',
      'otherTabP99Ms − localCommitP99Ms: what showing the write in another tab adds to committing it, at p99',
      1,
    ),
    row(
      'localCommitOfflineP50Ms',
      ms(offline, 50),
      'ms',
      `the same write → receipt \`local\` with both tabs offline (${offline.length} writes in the same rounds): no acks, hence no outbox deletes, no relay copies or notices in the profile's database meanwhile`,
    ),
    row('localCommitOfflineP99Ms', ms(offline, 99), 'ms', 'the same, both tabs offline'),
    row(
      'localCommitOfflineP99VsBareIdb',
      r2(percentile(offline, 99) / percentile(bareOffline, 99)),
      'x',
      `offline: localCommitOfflineP99Ms / the p99 of the bare transactions alternating with the offline writes (${ms(bareOffline, 99)} ms)`,
    ),
    row(
      'localCommitStrictP50Ms',
      ms(strictLocal, 50),
      'ms',
      "the same online writes with `localDurability: 'strict'` (IndexedDB flushes to disk before `complete`): what a receipt `local` that survives an operating-system crash costs",
    ),
    row(
      'localCommitStrictP99Ms',
      ms(strictLocal, 99),
      'ms',
      'handle.set → receipt `local`, strict',
    ),
    row(
      'bareIdbCommitStrictP99Ms',
      ms(strictBare, 99),
      'ms',
      `the floor with durability strict, alternating with the strict writes (p50 ${ms(strictBare, 50)} ms)`,
    ),
    row(
      'localCommitStrictP99VsBareIdb',
      r2(percentile(strictLocal, 99) / percentile(strictBare, 99)),
      'x',
      'localCommitStrictP99Ms / bareIdbCommitStrictP99Ms',
    ),
    row(
      'otherTabStrictP99Ms',
      ms(strict.otherTab, 99),
      'ms',
      'handle.set → the value shows in the other tab, strict',
    ),
  ];
}
