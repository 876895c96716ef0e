import { h } from './dom.js';

/**
 * A WAI-ARIA tab list: one tab in the page's tab order at a time (the selected one), arrow keys,
 * Home and End move between them and select.
 */
export class Tabs<Id extends string> {
  readonly element: HTMLElement;
  readonly #buttons: Map<Id, HTMLButtonElement>;

  constructor(
    tabs: readonly { readonly id: Id; readonly label: string }[],
    readonly panelId: string,
    readonly onSelect: (id: Id) => void,
  ) {
    this.#buttons = new Map(
      tabs.map(({ id, label }) => {
        const button = h(
          'button',
          {
            type: 'button',
            role: 'tab',
            id: Tabs.tabId(id),
            'aria-controls': panelId,
            'data-view': id,
          },
          label,
        );
        button.addEventListener('click', () => onSelect(id));
        return [id, button];
      }),
    );
    this.element = h('div', { role: 'tablist', 'aria-label': 'Views' }, ...this.#buttons.values());
    this.element.addEventListener('keydown', (event) => this.#key(event));
  }

  static tabId(id: string): string {
    return `helios-devtools-tab-${id}`;
  }

  /** Marks `id` selected (does not call `onSelect`). */
  select(id: Id): void {
    for (const [other, button] of this.#buttons) {
      const selected = other === id;
      button.setAttribute('aria-selected', String(selected));
      button.tabIndex = selected ? 0 : -1;
    }
  }

  focus(id: Id): void {
    this.#buttons.get(id)?.focus();
  }

  #key(event: KeyboardEvent): void {
    const ids = [...this.#buttons.keys()];
    const current = ids.findIndex(
      (id) => this.#buttons.get(id)?.getAttribute('aria-selected') === 'true',
    );
    const next: Record<string, number> = {
      ArrowRight: (current + 1) % ids.length,
      ArrowLeft: (current - 1 + ids.length) % ids.length,
      Home: 0,
      End: ids.length - 1,
    };
    const index = next[event.key];
    if (index === undefined) return;
    event.preventDefault();
    const id = ids[index]!;
    this.onSelect(id);
    this.focus(id);
  }
}
