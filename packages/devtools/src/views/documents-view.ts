import { empty, h, row, table } from '../dom.js';
import type { DocumentSnapshot } from '../source.js';
import { jsonTree } from './json-tree.js';
import type { View } from './view.js';

/** Each open document: its type, its value as a JSON tree, its causal context. */
export const documentsView: View = {
  id: 'documents',
  label: 'Documents',
  render({ documents, expanded }) {
    if (documents.length === 0) return empty('No open document.');
    return h(
      'div',
      {},
      ...documents.map((doc) =>
        h(
          'section',
          { class: 'doc', 'aria-label': `Document ${doc.id}` },
          h('h3', {}, doc.id, ' ', h('span', { class: 'meta' }, doc.type)),
          jsonTree(doc.value, doc.id, expanded),
          context(doc),
        ),
      ),
    );
  },
};

/** The causal context: which sequence numbers of each replica this document has seen. */
function context(doc: DocumentSnapshot): HTMLElement {
  if (doc.context.length === 0) return empty('Causal context: empty.');
  return table(
    `Causal context of ${doc.id}`,
    ['replica', 'seen'],
    doc.context.map(({ replica, ranges }) =>
      row([
        replica,
        ranges.map(([from, to]) => (from === to ? `${from}` : `${from}–${to}`)).join(', '),
      ]),
    ),
  );
}
