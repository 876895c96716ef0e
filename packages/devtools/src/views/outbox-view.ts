import { empty, h, row, table, time } from '../dom.js';
import type { View } from './view.js';

const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 300;
const HEIGHT = 60;

/** A pending count over time: the outbox (all documents), or one document's own writes. */
interface Sample {
  readonly pending: number;
  readonly at: number;
}

/**
 * The pending count over time: the client's outbox (writes not yet acknowledged by a relay, all
 * documents) or, filtered, that document's writes applied and not yet acknowledged, counted from
 * their trails.
 */
export const outboxView: View = {
  id: 'outbox',
  label: 'Outbox',
  render({ store, doc }) {
    const samples: readonly Sample[] =
      doc === undefined ? store.outbox() : store.writes.pending(doc);
    const what = doc === undefined ? 'Outbox' : `Writes of ${doc} not yet acknowledged by a relay`;
    if (samples.length === 0) return empty(`${what}: nothing seen yet.`);
    const now = samples[samples.length - 1]!.pending;
    const max = Math.max(...samples.map((s) => s.pending));
    return h(
      'div',
      {},
      h('p', { class: 'summary' }, `${what}: ${now} pending now, at most ${max}.`),
      sparkline(samples, max, `${what}: pending count over time, ${now} now, at most ${max}`),
      table(
        `${what}, newest first`,
        ['time', 'pending'],
        samples
          .slice()
          .reverse()
          .map((s) => row([time(s.at), s.pending])),
      ),
    );
  },
};

/** The count as a line, time on the horizontal axis; described by `label` for screen readers. */
function sparkline(samples: readonly Sample[], max: number, label: string): SVGSVGElement {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${WIDTH} ${HEIGHT}`);
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', label);
  svg.setAttribute('class', 'sparkline');
  const first = samples[0]!.at;
  const span = Math.max(1, samples[samples.length - 1]!.at - first);
  const points = samples.map((s) => {
    const x = ((s.at - first) / span) * WIDTH;
    const y = HEIGHT - (max === 0 ? 0 : (s.pending / max) * (HEIGHT - 2)) - 1;
    return `${x.toFixed(1)},${y.toFixed(1)}`;
  });
  const line = document.createElementNS(SVG, 'polyline');
  line.setAttribute('points', points.join(' '));
  svg.appendChild(line);
  return svg;
}
