// Element building for the views. Text always goes in as text nodes, never as markup: document
// values and error messages come from the app and its peers.

type Child = Node | string | number | null | undefined | false;

/** An element with attributes (`class`, `role`, `aria-*`, …) and children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Readonly<Record<string, string | number | boolean | undefined>> = {},
  ...children: readonly Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

/** Appends children, skipping the empty ones. */
export function append(parent: Node, children: readonly Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
}

/** A `<time>` of `at` (ms since the epoch), shown as UTC `HH:MM:SS.mmm`. */
export function time(at: number): HTMLTimeElement {
  const iso = new Date(at).toISOString();
  return h('time', { datetime: iso }, iso.slice(11, 23));
}

/** A table with a caption (its accessible name), column headers and rows. */
export function table(
  caption: string,
  headers: readonly string[],
  rows: readonly HTMLTableRowElement[],
): HTMLTableElement {
  return h(
    'table',
    {},
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, ...headers.map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, ...rows),
  );
}

/** A row of cells. */
export function row(
  cells: readonly Child[],
  attrs: Parameters<typeof h>[1] = {},
): HTMLTableRowElement {
  return h('tr', attrs, ...cells.map((c) => h('td', {}, c)));
}

/** The line shown where a view has nothing yet. */
export function empty(text: string): HTMLParagraphElement {
  return h('p', { class: 'empty' }, text);
}
