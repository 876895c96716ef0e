import { empty, h, row, table, time } from '../dom.js';
import type { ConflictEvent, ConflictWrite } from '../source.js';
import { whyWon } from '../why-won.js';
import type { View } from './view.js';

const KIND_LABEL: Record<ConflictEvent['kind'], string> = {
  'mv-siblings': 'MV siblings',
  'lww-overwrite': 'LWW overwrite',
  'concurrent-counter': 'concurrent counter writes',
};

/**
 * Conflicts, newest first: MV values standing side by side, LWW overwrites with why the winner
 * won (its timestamp against each loser's), concurrent counter writes (all of them count).
 */
export const conflictsView: View = {
  id: 'conflicts',
  label: 'Conflicts',
  render({ store, doc }) {
    const conflicts = store.conflicts(doc);
    if (conflicts.length === 0) return empty('No conflict seen yet.');
    return table(
      'Conflicts, newest first',
      ['time', 'document', 'key', 'kind', 'what happened'],
      conflicts
        .slice()
        .reverse()
        .map((c) =>
          row(
            [
              time(c.at),
              c.doc,
              c.key === undefined ? '' : String(c.key),
              KIND_LABEL[c.kind] ?? c.kind,
              detail(c),
            ],
            { class: c.kind },
          ),
        ),
    );
  },
};

function detail(c: ConflictEvent): Node | string {
  switch (c.kind) {
    case 'mv-siblings':
      return `${c.siblings ?? '?'} values stand side by side until a write resolves them`;
    case 'concurrent-counter':
      return c.replicas === undefined || c.replicas.length === 0
        ? 'concurrent writes: every one of them counts'
        : `concurrent writes of ${c.replicas.join(', ')}: every one of them counts`;
    case 'lww-overwrite':
      return lww(c.winner, c.losers ?? []);
  }
  return '';
}

function lww(winner: ConflictWrite | undefined, losers: readonly ConflictWrite[]): Node | string {
  if (winner === undefined) return 'an overwrite (no timestamps reported)';
  return h(
    'div',
    {},
    h('div', {}, 'winner ', stamp(winner)),
    h(
      'ul',
      { class: 'losers' },
      ...losers.map((loser) => h('li', {}, 'beat ', stamp(loser), ': ', whyWon(winner, loser))),
    ),
  );
}

function stamp(s: ConflictWrite): HTMLElement {
  return h('code', {}, `${s.replica} (wall ${s.wall}, counter ${s.counter})`);
}
