import { empty, h, row, table, time } from '../dom.js';
import type { TrailStep, WriteTrail } from '../write-trails.js';
import type { View } from './view.js';

/**
 * Each write's trail, grouped by dot, newest first: pending → local → relay → each region →
 * global, each step with its time after `pending`; a refusal in red with its code.
 */
export const writesView: View = {
  id: 'writes',
  label: 'Writes',
  render({ store, doc }) {
    const trails = store.writes.list(doc);
    if (trails.length === 0) return empty('No write yet.');
    return table(
      `Writes, newest first (the last ${store.writes.limit} kept)`,
      ['dot', 'document', 'applied', 'trail'],
      trails.map((trail) =>
        row([h('code', {}, trail.dot), trail.doc, time(trail.start), steps(trail)], {
          class: trail.failed ? 'failed' : undefined,
          'data-dot': trail.dot,
        }),
      ),
    );
  },
};

function steps(trail: WriteTrail): HTMLElement {
  const list = h('ol', {
    class: 'trail',
    'aria-label': trail.sawPending
      ? 'steps, times after pending'
      : 'steps, times after the first seen',
  });
  for (const step of trail.steps) list.appendChild(stepItem(step, trail.start));
  return list;
}

function stepItem(step: TrailStep, start: number): HTMLLIElement {
  const name = step.region === undefined ? step.stage : `${step.stage} ${step.region}`;
  const after = `+${Math.max(0, step.at - start)} ms`;
  if (step.error !== undefined) {
    return h(
      'li',
      { class: 'step failed' },
      `${name} `,
      h('strong', {}, step.error.code),
      ` ${step.error.message} `,
      h('span', { class: 'meta' }, after),
    );
  }
  return h('li', { class: `step ${step.stage}` }, `${name} `, h('span', { class: 'meta' }, after));
}
