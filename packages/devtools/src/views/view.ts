import { DevtoolsError } from '../devtools-error.js';
import type { DocumentSnapshot } from '../source.js';
import type { TraceStore } from '../trace-store.js';

/** The panel's views, in tab order. */
export const VIEW_IDS = ['documents', 'writes', 'outbox', 'connection', 'conflicts'] as const;
export type ViewId = (typeof VIEW_IDS)[number];

/** `view` if it names a view; a typed error otherwise (it may come from plain JavaScript). */
export function checkViewId(view: string): ViewId {
  if (!(VIEW_IDS as readonly string[]).includes(view)) {
    throw new DevtoolsError(
      'invalid-option',
      `No view "${view}": the views are ${VIEW_IDS.join(', ')}`,
    );
  }
  return view as ViewId;
}

/** What a view draws from. */
export interface ViewContext {
  readonly store: TraceStore;
  /** The document filter; `undefined` for all documents. */
  readonly doc: string | undefined;
  /** The open documents (`inspect()`), already filtered. */
  readonly documents: readonly DocumentSnapshot[];
  /** Which JSON tree nodes are open, by path, kept across redraws. */
  readonly expanded: Map<string, boolean>;
}

/** A tab of the panel. */
export interface View {
  readonly id: ViewId;
  readonly label: string;
  render(ctx: ViewContext): Node;
}
