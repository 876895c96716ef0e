/**
 * The cart workload's blocks of docs/benchmarks.md (figures 3 and 4): bytes per write against
 * the full state, and concurrent same-key writes with their outcome.
 */

import { chart, find, plural, source, table } from './report-format.mjs';
import { barChart, COLORS, fmt } from './svg.mjs';

/** @typedef {import('./report-format.mjs').Row} Row */
/** @typedef {import('./report-format.mjs').Report} Report */

/** @type {Record<string, (reports: Record<string, Report | undefined>) => string>} */
export const CART_BLOCKS = {
  'cart-bandwidth'(reports) {
    const r = reports.cart;
    if (!r) return source(r);
    const workloads = [
      ...new Set(
        r.results.filter((x) => x.workload).map((x) => /** @type {string} */ (x.workload)),
      ),
    ];
    chart(
      'bandwidth.svg',
      barChart({
        title: 'Bytes per cart write: delta on the wire vs full state',
        subtitle:
          'bytes per write; red tick: 1% of the full state, the most a write may cost for the 99% goal',
        unit: 'bytes',
        log: true,
        legend: [
          { label: 'delta payload', color: COLORS.p50 },
          { label: 'on the wire (all framing)', color: COLORS.p99 },
          { label: 'full state', color: COLORS.delay },
        ],
        groups: workloads.map((w) => {
          const state = find(r, 'cartFullStateBytes', w)?.value ?? 0;
          return {
            label: w,
            sub: `${fmt(find(r, 'deltaVsStateReductionPct', w)?.value ?? 0)}% saved`,
            bars: [
              {
                label: 'delta payload',
                value: find(r, 'cartDeltaPayloadBytes', w)?.value ?? 0,
                color: COLORS.p50,
              },
              {
                label: 'on the wire',
                value: find(r, 'cartWireBytesPerOp', w)?.value ?? 0,
                color: COLORS.p99,
              },
              { label: 'full state', value: state, color: COLORS.delay },
            ],
            goal: { value: state / 100, label: '1% of the full state' },
          };
        }),
      }),
    );
    const names = [
      'cartWireBytesPerOp',
      'cartWireBytesUpPerOp',
      'cartWireBytesDownPerOp',
      'cartDeltaPayloadBytes',
      'cartFullStateBytes',
      'deltaVsStateReductionPct',
    ];
    const rows = r.results.filter((x) => names.includes(x.metric));
    return `![Bytes per write: delta vs full state](benchmarks/bandwidth.svg)\n\n${source(r)}\n\n${table(rows, (x) => `\`${x.metric}\` (${x.workload})`)}`;
  },

  'cart-conflicts'(reports) {
    const r = reports.cart;
    if (!r) return source(r);
    const workloads = [
      ...new Set(
        r.results.filter((x) => x.workload).map((x) => /** @type {string} */ (x.workload)),
      ),
    ];
    const share = (/** @type {string} */ metric, /** @type {string} */ w) => {
      const m = /([\d.]+)% of/.exec(find(r, metric, w)?.note ?? '');
      return m ? Number(m[1]) : 0;
    };
    const colors = [COLORS.p50, COLORS.p99];
    chart(
      'conflicts.svg',
      barChart({
        title: 'Concurrent writes to one key, and what became of them',
        subtitle:
          "% of each type's writes that had a concurrent write to the same item (no writer saw the other)",
        unit: '% of writes',
        legend: workloads.map((w, i) => ({
          label: w,
          color: /** @type {string} */ (colors[i % 2]),
        })),
        groups: [
          {
            label: 'PN-Counter quantities',
            bars: workloads.map((w, i) => ({
              label: w,
              value: share('concurrentSameKeyWritesCounter', w),
              color: /** @type {string} */ (colors[i % 2]),
              text: `${fmt(share('concurrentSameKeyWritesCounter', w))}% · ${plural(find(r, 'incrementsLost', w)?.value, 'increment')} lost`,
            })),
          },
          {
            label: 'LWW-Map variants',
            bars: workloads.map((w, i) => ({
              label: w,
              value: share('concurrentSameKeyWritesLww', w),
              color: /** @type {string} */ (colors[i % 2]),
              text: `${fmt(share('concurrentSameKeyWritesLww', w))}% · ${plural(find(r, 'lwwUpdatesLost', w)?.value, 'update')} lost to a later concurrent write`,
            })),
          },
          {
            label: 'MV-Register notes',
            bars: workloads.map((w, i) => ({
              label: w,
              value: share('concurrentSameKeyWritesMv', w),
              color: /** @type {string} */ (colors[i % 2]),
              text: `${fmt(share('concurrentSameKeyWritesMv', w))}% · ${plural(find(r, 'mvSiblingsCreated', w)?.value, 'sibling')} kept for the app`,
            })),
          },
        ],
        width: 860,
        right: 300,
      }),
    );
    const names = [
      'cartWrites',
      'concurrentSameKeyWritesCounter',
      'concurrentSameKeyWritesLww',
      'concurrentSameKeyWritesMv',
      'lwwUpdatesLost',
      'mvSiblingsCreated',
      'incrementsLost',
      'cartConvergeMs',
    ];
    const rows = r.results.filter((x) => names.includes(x.metric));
    return `![Concurrent same-key writes per type and their outcome](benchmarks/conflicts.svg)\n\n${source(r)}\n\n${table(rows, (x) => `\`${x.metric}\` (${x.workload})`)}`;
  },
};
