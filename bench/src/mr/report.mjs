/**
 * Writes the figures of the latest runs into docs/benchmarks.md (between its
 * `<!-- gen:name -->` … `<!-- /gen:name -->` markers; the prose around them is hand-written)
 * and draws docs/benchmarks/*.svg. `npm run bench -- docs`. A suite's full-run file is used
 * when it exists, else its quick-run file (and the page says so).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REGIONS } from './cluster.mjs';
import { CART_BLOCKS } from './report-cart.mjs';
import {
  benchDir,
  chart,
  chartsDir,
  docsDir,
  find,
  shown,
  source,
  status,
  table,
  value,
} from './report-format.mjs';
import { barChart, COLORS, faultTimeline, fmt } from './svg.mjs';

/** @typedef {import('./report-format.mjs').Row} Row */
/** @typedef {import('./report-format.mjs').Report} Report */

/** @returns {Report | undefined} */
function load(/** @type {string} */ suite) {
  for (const name of [suite, `${suite}-quick`]) {
    const path = join(benchDir, 'results', `${name}.json`);
    if (existsSync(path))
      return { ...JSON.parse(readFileSync(path, 'utf8')), file: `${name}.json` };
  }
  return undefined;
}

/** @type {Record<string, (reports: Record<string, Report | undefined>) => string>} */
const BLOCKS = {
  machine(reports) {
    const any = Object.values(reports).find((r) => r !== undefined);
    if (!any) return '_No runs yet._';
    const m = any.machine;
    const chrome = /headless (Chrome\/[\d.]+)/.exec(
      find(reports.browser, 'localWriteVisibleP50Ms')?.note ?? '',
    )?.[1];
    const pressure = Object.entries(reports)
      .map(([name, r]) => [name, find(r, 'hostCpuPressurePct')?.value])
      .filter(([, v]) => v !== undefined)
      .map(([name, v]) => `${name} ${Math.round(Number(v))} %`)
      .join(', ');
    return [
      `| | |`,
      `| --- | --- |`,
      `| CPU | ${m.cpu}, ${m.cores} cores (\`os.cpus()\`) |`,
      `| memory | ${m.memoryGiB} GiB |`,
      `| OS | ${m.platform} |`,
      `| Node | ${m.node} |`,
      `| browser | ${chrome ? `Debian Chromium (${chrome}), headless` : 'Debian Chromium, headless'} |`,
      `| disk | one virtual disk shared by the five relays' SQLite files (WAL, \`synchronous=FULL\`) |`,
      `| other load | shared VM: other jobs ran during the runs. CPU pressure (\`/proc/pressure/cpu\` some avg60) at the end of each suite: ${pressure || 'n/a'} |`,
    ].join('\n');
  },

  goals(reports) {
    /** @type {[string, Row | undefined, string][]} */
    const rows = [
      [
        '1 · IndexedDB commit p99 / bare transaction p99',
        find(reports.browser, 'localCommitP99VsBareIdb'),
        'browser',
      ],
      [
        '1 · other tab p99 − commit p99',
        find(reports.browser, 'otherTabP99OverLocalCommitMs'),
        'browser',
      ],
      [
        '1 · cold open of a 100k-entry document',
        find(reports.browser, 'coldLoad100kChromiumMs'),
        'browser',
      ],
      [
        '2 · cross-region p99 − one-way delay (worst pair)',
        find(reports.convergence, 'crossRegionP99OverOneWayMs'),
        'convergence',
      ],
      [
        '3 · delta vs full state, ten carts of 10',
        find(reports.cart, 'deltaVsStateReductionPct', 'ten carts of 10 members'),
        'cart',
      ],
      [
        '3 · delta vs full state, one cart of 100',
        find(reports.cart, 'deltaVsStateReductionPct', 'one cart of 100 members'),
        'cart',
      ],
      [
        '4 · increments lost, ten carts of 10',
        find(reports.cart, 'incrementsLost', 'ten carts of 10 members'),
        'cart',
      ],
      [
        '4 · increments lost, one cart of 100',
        find(reports.cart, 'incrementsLost', 'one cart of 100 members'),
        'cart',
      ],
      ['5 · local writes refused', find(reports.faults, 'localWritesRefused'), 'faults'],
      ['5 · writes acked within 5 s', find(reports.faults, 'ackedWithin5sPct'), 'faults'],
      ['5 · acked writes lost', find(reports.faults, 'ackedLost'), 'faults'],
      ['6 · relay deltas/s at 1k clients', find(reports.relay, 'relayDeltasPerSec'), 'relay'],
      ['6 · relay push → ack p99', find(reports.relay, 'pushAckP99Ms'), 'relay'],
    ];
    const lines = ['| figure | metric | measured | goal | |', '| --- | --- | ---: | --- | --- |'];
    for (const [label, r, suite] of rows) {
      lines.push(
        `| ${label} | \`${r?.metric ?? '—'}\` | ${value(r)} | ${r?.goal ?? ''} | ${status(r)} |`,
      );
      void suite;
    }
    return lines.join('\n');
  },

  browser(reports) {
    const r = reports.browser;
    if (!r) return source(r);
    const g = (/** @type {string} */ name) => find(r, name)?.value ?? 0;
    const bars = (/** @type {string} */ p50, /** @type {string} */ p99) => [
      { label: 'p50', value: g(p50), color: COLORS.p50 },
      { label: 'p99', value: g(p99), color: COLORS.p99 },
    ];
    chart(
      'browser.svg',
      barChart({
        title: 'Local writes in Chromium',
        subtitle:
          'milliseconds from handle.set(); two tabs of one on-disk profile; lower is better',
        unit: 'ms',
        legend: [
          { label: 'p50', color: COLORS.p50 },
          { label: 'p99', color: COLORS.p99 },
        ],
        groups: [
          {
            label: 'value visible (listener)',
            bars: bars('localWriteVisibleP50Ms', 'localWriteVisibleP99Ms'),
          },
          {
            label: 'IndexedDB commit',
            sub: 'receipt level "local"',
            bars: bars('localCommitP50Ms', 'localCommitP99Ms'),
            goal: { value: 1.1 * g('bareIdbCommitP99Ms'), label: 'goal: p99 ≤ 1.1 × bare' },
          },
          {
            label: 'IndexedDB commit, offline',
            sub: 'same writes, both tabs offline',
            bars: bars('localCommitOfflineP50Ms', 'localCommitOfflineP99Ms'),
          },
          {
            label: 'visible in the other tab',
            bars: bars('otherTabP50Ms', 'otherTabP99Ms'),
            goal: { value: g('localCommitP99Ms') + 1, label: 'goal: p99 ≤ commit p99 + 1 ms' },
          },
          {
            label: 'bare IndexedDB transaction',
            sub: 'the floor, no Helios, same durability',
            bars: bars('bareIdbCommitP50Ms', 'bareIdbCommitP99Ms'),
          },
          {
            label: 'IndexedDB commit, strict',
            sub: "localDurability: 'strict'",
            bars: bars('localCommitStrictP50Ms', 'localCommitStrictP99Ms'),
          },
        ],
      }),
    );
    return `![Local writes in Chromium: p50 and p99 per step, with goals](benchmarks/browser.svg)\n\n${source(r)}\n\n${table(r.results)}`;
  },

  convergence(reports) {
    const r = reports.convergence;
    if (!r) return source(r);
    const pairs = [
      ...new Set(r.results.filter((x) => x.pair).map((x) => /** @type {string} */ (x.pair))),
    ];
    const groups = pairs.map((pair) => {
      const p50 = /** @type {Row} */ (
        r.results.find((x) => x.pair === pair && x.metric === 'crossRegionP50Ms')
      );
      const p99 = /** @type {Row} */ (
        r.results.find((x) => x.pair === pair && x.metric === 'crossRegionP99Ms')
      );
      const delay = /** @type {number} */ (p50.oneWayMs);
      // The goal is the row's own: the p99 of the delay injected on the pair, plus the slack.
      const goal = Number(/^<= ([\d.]+)$/.exec(p99.goal ?? '')?.[1] ?? Number.NaN);
      return {
        label: pair.replace('↔', ' ↔ '),
        bars: [
          { label: 'injected one-way delay (mean)', value: delay, color: COLORS.delay },
          { label: 'p50', value: p50.value, color: COLORS.p50 },
          { label: 'p99', value: p99.value, color: COLORS.p99 },
        ],
        ...(Number.isNaN(goal)
          ? {}
          : { goal: { value: goal, label: `goal: p99 ≤ ${fmt(goal)} ms` } }),
      };
    });
    const same50 = find(r, 'sameRegionP50Ms');
    const same99 = find(r, 'sameRegionP99Ms');
    if (same50 && same99) {
      groups.unshift({
        label: 'same region',
        bars: [
          { label: 'injected one-way delay (mean)', value: 0, color: COLORS.delay },
          { label: 'p50', value: same50.value, color: COLORS.p50 },
          { label: 'p99', value: same99.value, color: COLORS.p99 },
        ],
      });
    }
    chart(
      'convergence.svg',
      barChart({
        title: 'Cross-region convergence: write → visible in the other region',
        subtitle: `milliseconds, both directions of each pair pooled; ${r.config?.writesPerSecond ?? '?'} writes/s; one-way delay ± 10%, in order; goal: p99 ≤ the p99 of the injected delay + 10 ms`,
        unit: 'ms',
        legend: [
          { label: 'injected one-way delay (mean)', color: COLORS.delay },
          { label: 'p50', color: COLORS.p50 },
          { label: 'p99', color: COLORS.p99 },
        ],
        groups,
      }),
    );
    const rows = r.results.filter((x) => x.metric !== 'crossRegionP50Ms');
    return `![Cross-region convergence per region pair](benchmarks/convergence.svg)\n\n${source(r)}\n\n${table(rows, (x) => (x.pair ? `\`${x.metric}\` ${x.pair}` : `\`${x.metric}\``))}`;
  },

  ...CART_BLOCKS,

  faults(reports) {
    const r = reports.faults;
    if (!r) return source(r);
    const timelineFile =
      r.file === 'faults.json' ? 'faults-timeline.json' : 'faults-quick-timeline.json';
    const path = join(benchDir, 'results', timelineFile);
    if (existsSync(path)) {
      const t = JSON.parse(readFileSync(path, 'utf8'));
      chart(
        'faults.svg',
        faultTimeline({
          title: `Writing through ${t.durationS >= 120 ? `${fmt(t.durationS / 60)} minutes` : `${t.durationS} seconds`} of faults`,
          subtitle: `${find(r, 'faultWrites')?.value ?? '?'} writes; ${shown(find(r, 'ackedWithin5sPct')?.value ?? 0, '%')}% acked within 5 s, ${find(r, 'ackedLost')?.value ?? '?'} acked writes lost, ${find(r, 'localWritesRefused')?.value ?? '?'} refused locally`,
          regions: REGIONS,
          durationS: t.durationS,
          events: t.events,
          perSecond: t.perSecond,
          ackGoalMs: t.ackGoalMs,
        }),
      );
    }
    return `![Fault timeline: relay kills, partitions, convergence and ack latency](benchmarks/faults.svg)\n\n${source(r)}\n\n${table(r.results)}`;
  },

  relayed(reports) {
    const r = reports.relayed;
    if (!r) return source(r);
    const p50 = find(r, 'mapWriteRelayedP50Ms');
    const p99 = find(r, 'mapWriteRelayedP99Ms');
    const bytes = find(r, 'mapWriteWireBytesPerOp');
    const pair = (/** @type {Row | undefined} */ x) => [
      { label: 'Helios', value: x?.value ?? 0, color: COLORS.helios },
      { label: 'y-websocket', value: x?.peerValue ?? 0, color: COLORS.peer },
    ];
    chart(
      'relayed-latency.svg',
      barChart({
        title: 'Map write → shown on another client, through the server',
        subtitle:
          'milliseconds; Helios commits durably before fanning out, y-websocket keeps documents in memory',
        unit: 'ms',
        legend: [
          { label: 'Helios', color: COLORS.helios },
          { label: 'y-websocket', color: COLORS.peer },
        ],
        groups: [
          { label: 'p50', bars: pair(p50) },
          { label: 'p99', bars: pair(p99) },
        ],
      }),
    );
    chart(
      'relayed-bytes.svg',
      barChart({
        title: 'Bytes on the wire per relayed map write',
        subtitle: 'both clients, both directions, WebSocket and protocol framing included',
        unit: 'bytes',
        legend: [
          { label: 'Helios', color: COLORS.helios },
          { label: 'y-websocket', color: COLORS.peer },
        ],
        groups: [{ label: 'per write', bars: pair(bytes) }],
      }),
    );
    return `![Relayed map write latency, Helios vs y-websocket](benchmarks/relayed-latency.svg)\n![Relayed map write bytes, Helios vs y-websocket](benchmarks/relayed-bytes.svg)\n\n${source(r)}\n\n${table(r.results)}`;
  },

  quic(reports) {
    const r = reports.quic;
    if (!r) return source(r);
    /** @type {Record<string, { skipped?: string }>} */
    const contenders = r.config?.contenders ?? {};
    // A contender the installed server cannot run (QUIC before it lands) is named, not hidden.
    const skipped = Object.entries(contenders)
      .filter(([, c]) => c.skipped !== undefined)
      .map(([name, c]) => `\n\n**${name}**: ${c.skipped}`)
      .join('');
    return `${source(r)}${skipped}\n\n${table(r.results, (x) => `\`${x.metric}\` ${x.transport ?? ''}`)}`;
  },

  relay(reports) {
    const r = reports.relay;
    if (!r) return '_`bench/results/relay.json` is not there yet (`npm run bench -- relay`)._';
    const names = [
      'relayDeltasPerSec',
      'relayFanoutPerSec',
      'relayCpuUsPerDelta',
      'relayIngestDeltasPerSec',
      'pushAckP99MsAtHalfLoad',
      'pushAckP50MsAt10PctLoad',
      'pushAckP99MsAt10PctLoad',
      'pushAckP50Ms',
      'pushAckP99Ms',
    ];
    const rows = r.results.filter((x) => names.includes(x.metric));
    return `${source(r)} The relay benchmark is documented with its suite (\`bench/src/relay.mjs\`); its headline figures:\n\n${table(rows)}`;
  },
};

/** Regenerates every block of docs/benchmarks.md and the charts. */
export function writeReport() {
  const reports = Object.fromEntries(
    ['browser', 'convergence', 'cart', 'relayed', 'faults', 'relay', 'quic'].map((s) => [
      s,
      load(s),
    ]),
  );
  const path = join(docsDir, 'benchmarks.md');
  let text = readFileSync(path, 'utf8');
  for (const [name, make] of Object.entries(BLOCKS)) {
    const open = `<!-- gen:${name} -->`;
    const close = `<!-- /gen:${name} -->`;
    const a = text.indexOf(open);
    const b = text.indexOf(close);
    if (a < 0 || b < a) {
      console.warn(`docs/benchmarks.md has no ${open} … ${close} block; skipped`);
      continue;
    }
    text = `${text.slice(0, a + open.length)}\n${make(reports)}\n${text.slice(b)}`;
  }
  writeFileSync(path, text);
  console.log(`wrote ${path} and ${chartsDir}/*.svg`);
}
