import { empty, h, row, table, time } from '../dom.js';
import type { View } from './view.js';

/**
 * The connection's history, newest first, failovers and refusals marked, with their reasons. The
 * connection serves every document: the document filter does not narrow it.
 */
export const connectionView: View = {
  id: 'connection',
  label: 'Connection',
  render({ store, doc }) {
    const history = store.connection();
    if (history.length === 0) return empty('No connection change seen yet.');
    const count = (state: string) => history.filter((e) => e.state === state).length;
    return h(
      'div',
      {},
      h(
        'p',
        { class: 'summary' },
        `Now ${history[history.length - 1]!.state}; ${count('failover')} failovers, ${count('refused')} refusals.`,
        doc === undefined ? '' : ' (The connection serves every document.)',
      ),
      table(
        'Connection history, newest first',
        ['time', 'state', 'region', 'relay', 'reason'],
        history
          .slice()
          .reverse()
          .map((e) =>
            row([time(e.at), e.state, e.region, e.url, e.reason], {
              class: e.state === 'failover' || e.state === 'refused' ? e.state : undefined,
            }),
          ),
      ),
    );
  },
};
