import { append, h } from '../dom.js';

/** Entries shown per object or array: a huge document does not freeze the page. */
const MAX_ENTRIES = 200;

/**
 * A JSON value as nested `<details>` (keyboard-accessible and announced as expandable by the
 * browser itself, no ARIA tree to emulate): objects and arrays fold,
 * the top level starts open. Which nodes are open is kept in `expanded` by `path`, so a redraw
 * keeps what the user opened.
 */
export function jsonTree(
  value: unknown,
  path: string,
  expanded: Map<string, boolean>,
): HTMLElement {
  return h('div', { class: 'json' }, node(undefined, value, path, 0, expanded));
}

function node(
  key: string | undefined,
  value: unknown,
  path: string,
  depth: number,
  expanded: Map<string, boolean>,
): HTMLElement {
  const label = key === undefined ? [] : [h('span', { class: 'key' }, key), ': '];
  if (value === null || typeof value !== 'object') {
    return h('div', { class: 'leaf' }, ...label, scalar(value));
  }
  const entries = Array.isArray(value)
    ? value.map((v, i): [string, unknown] => [String(i), v])
    : Object.entries(value);
  const open = expanded.get(path) ?? depth === 0;
  const details = h('details', { open });
  const brackets = Array.isArray(value) ? `[${entries.length}]` : `{${entries.length}}`;
  details.appendChild(h('summary', {}, ...label, h('span', { class: 'meta' }, brackets)));
  details.addEventListener('toggle', () => expanded.set(path, details.open));
  const group = h('div', { class: 'entries' });
  append(
    group,
    entries.slice(0, MAX_ENTRIES).map(([k, v]) => node(k, v, `${path}/${k}`, depth + 1, expanded)),
  );
  if (entries.length > MAX_ENTRIES) {
    group.appendChild(h('div', { class: 'meta' }, `… ${entries.length - MAX_ENTRIES} more`));
  }
  details.appendChild(group);
  return details;
}

function scalar(value: unknown): HTMLElement {
  const kind = value === null ? 'null' : typeof value;
  return h('span', { class: `v-${kind}` }, JSON.stringify(value) ?? String(value));
}
