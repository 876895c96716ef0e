import { h } from './dom.js';
import { animationFrame, FrameBatcher } from './frame-batcher.js';
import {
  type PanelOptions,
  type ResolvedPanelOptions,
  resolvePanelOptions,
} from './panel-options.js';
import { checkSource, type DevtoolsSource, type DocumentSnapshot } from './source.js';
import { STYLES } from './styles.js';
import { Tabs } from './tabs.js';
import { buildTrace, type DevtoolsTrace, downloadTrace } from './trace.js';
import { TraceStore } from './trace-store.js';
import { VIEWS, viewById } from './views/index.js';
import { checkViewId, type ViewId } from './views/view.js';

/** A mounted panel. After `destroy()`, every method does nothing (`trace()` still answers). */
export interface DevtoolsPanel {
  readonly isOpen: boolean;
  /** Shows the panel: reads the client's history, then follows its events live. */
  open(): void;
  /** Hides the panel and stops following the events. */
  close(): void;
  toggle(): void;
  /** Closes the panel and removes it from the page. */
  destroy(): void;
  /** Shows one view. */
  show(view: ViewId): void;
  /** Narrows every view to one document (`undefined`: all documents). */
  filter(doc: string | undefined): void;
  /** The events the panel holds (the client's history while closed) and the open documents. */
  trace(): DevtoolsTrace;
  /** Offers {@link DevtoolsPanel.trace} as a JSON file download. */
  exportTrace(): void;
}

const PANEL_ID = 'helios-devtools-view';
const ALL = '';

/**
 * Mounts the devtools panel for `source` (a `HeliosClient`), closed: `open()` shows it. Plain DOM
 * in a shadow root, so it works in any app and neither side's styles reach the other.
 *
 * @throws DevtoolsError `invalid-source` if `source` has no event stream, `invalid-option` for a
 * bad limit or view.
 */
export function mountDevtools(source: DevtoolsSource, options: PanelOptions = {}): DevtoolsPanel {
  return new Panel(checkSource(source, 'mountDevtools'), resolvePanelOptions(options));
}

class Panel implements DevtoolsPanel {
  readonly #source: DevtoolsSource;
  readonly #store: TraceStore;
  readonly #now: () => number;
  readonly #host: HTMLElement;
  readonly #dialog: HTMLElement;
  readonly #tabs: Tabs<ViewId>;
  readonly #select: HTMLSelectElement;
  readonly #view: HTMLElement;
  readonly #batcher: FrameBatcher;
  readonly #expanded = new Map<string, boolean>();
  #active: ViewId;
  #doc: string | undefined;
  #unsubscribe: (() => void) | undefined;
  #destroyed = false;
  #returnFocus: Element | null = null;
  /** What the view shows now, to redraw only when it changed ('' after opening). */
  #drawn = '';
  /** The open documents as last read. */
  #open: readonly DocumentSnapshot[] = [];

  constructor(source: DevtoolsSource, options: ResolvedPanelOptions) {
    this.#source = source;
    this.#store = new TraceStore(options);
    this.#now = options.now ?? Date.now;
    this.#active = options.view;
    this.#batcher = new FrameBatcher(options.scheduleFrame ?? animationFrame, () => this.#render());

    this.#tabs = new Tabs(VIEWS, PANEL_ID, (id) => this.show(id));
    this.#select = h('select');
    this.#select.addEventListener('change', () => this.filter(this.#select.value || undefined));
    const exportButton = h('button', { type: 'button' }, 'Export trace');
    exportButton.addEventListener('click', () => this.exportTrace());
    const closeButton = h('button', { type: 'button', 'aria-label': 'Close Helios devtools' }, '✕');
    closeButton.addEventListener('click', () => this.close());
    this.#view = h('div', { role: 'tabpanel', id: PANEL_ID, tabindex: 0 });
    this.#dialog = h(
      'section',
      {
        class: 'panel',
        role: 'dialog',
        'aria-modal': 'false',
        'aria-labelledby': 'helios-devtools-title',
      },
      h(
        'header',
        {},
        h('h2', { id: 'helios-devtools-title' }, 'Helios devtools'),
        this.#tabs.element,
        h('label', {}, 'Document', this.#select),
        h('span', { class: 'spacer' }),
        exportButton,
        closeButton,
      ),
      this.#view,
    );
    this.#dialog.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') {
        event.stopPropagation();
        this.close();
      }
    });
    this.#host = h('div', { 'data-helios-devtools': '', hidden: true });
    const root = this.#host.attachShadow({ mode: 'open' });
    root.append(h('style', {}, STYLES), this.#dialog);
    (options.container ?? document.body).appendChild(this.#host);
    this.#tabs.select(this.#active);
  }

  get isOpen(): boolean {
    return this.#unsubscribe !== undefined;
  }

  open(): void {
    if (this.#destroyed || this.isOpen) return;
    // History first, then live, in one task: no event falls between the two, none comes twice.
    this.#store.reset(this.#source.events.history());
    this.#unsubscribe = this.#source.events.subscribe((event) => {
      this.#store.add(event);
      this.#batcher.request();
    });
    this.#returnFocus = this.#host.ownerDocument.activeElement;
    this.#host.hidden = false;
    this.#drawn = '';
    this.#render();
    this.#tabs.focus(this.#active);
  }

  close(): void {
    if (!this.isOpen) return;
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    this.#batcher.cancel();
    this.#host.hidden = true;
    const back = this.#returnFocus;
    this.#returnFocus = null;
    if (back instanceof HTMLElement && back.isConnected) back.focus();
  }

  toggle(): void {
    if (this.isOpen) this.close();
    else this.open();
  }

  destroy(): void {
    this.close();
    this.#destroyed = true;
    this.#host.remove();
  }

  show(view: ViewId): void {
    checkViewId(view);
    if (this.#destroyed) return;
    this.#active = view;
    this.#tabs.select(view);
    this.#render();
  }

  filter(doc: string | undefined): void {
    if (this.#destroyed) return;
    this.#doc = doc;
    this.#render();
  }

  trace(): DevtoolsTrace {
    const events = this.isOpen ? this.#store.events() : this.#source.events.history();
    return buildTrace(events, this.#source.inspect(), this.#now());
  }

  exportTrace(): void {
    downloadTrace(this.trace(), this.#host.ownerDocument);
  }

  #render(): void {
    if (!this.isOpen) return;
    // Snapshots cost a JSON copy of every open document: taken on open and for the Documents
    // view, not on every frame of a busy Writes view.
    if (this.#active === 'documents' || this.#drawn === '') {
      this.#open = this.#source.inspect();
    }
    this.#renderFilter(this.#open);
    const shown =
      this.#doc === undefined ? this.#open : this.#open.filter((d) => d.id === this.#doc);
    // The documents come fresh from the client each time; the other views only move with events.
    const state =
      this.#active === 'documents' ? JSON.stringify(shown) : String(this.#store.version);
    const drawn = `${this.#active}\u0000${this.#doc ?? ''}\u0000${state}`;
    if (drawn === this.#drawn) return;
    this.#drawn = drawn;
    this.#view.setAttribute('aria-labelledby', Tabs.tabId(this.#active));
    this.#view.replaceChildren(
      viewById(this.#active).render({
        store: this.#store,
        doc: this.#doc,
        documents: shown,
        expanded: this.#expanded,
      }),
    );
  }

  /** The filter's choices: every open document and every one events named. */
  #renderFilter(documents: readonly DocumentSnapshot[]): void {
    const ids = new Set([...documents.map((d) => d.id), ...this.#store.documents()]);
    if (this.#doc !== undefined) ids.add(this.#doc);
    const sorted = [...ids].sort();
    const current = [...this.#select.options].map((o) => o.value);
    if (current.join('\u0000') !== [ALL, ...sorted].join('\u0000')) {
      this.#select.replaceChildren(
        h('option', { value: ALL }, 'All documents'),
        ...sorted.map((id) => h('option', { value: id }, id)),
      );
    }
    this.#select.value = this.#doc ?? ALL;
  }
}
