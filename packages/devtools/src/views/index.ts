import { conflictsView } from './conflicts-view.js';
import { connectionView } from './connection-view.js';
import { documentsView } from './documents-view.js';
import { outboxView } from './outbox-view.js';
import type { View, ViewId } from './view.js';
import { writesView } from './writes-view.js';

/** The views, in tab order. */
export const VIEWS: readonly View[] = [
  documentsView,
  writesView,
  outboxView,
  connectionView,
  conflictsView,
];

export function viewById(id: ViewId): View {
  return VIEWS.find((v) => v.id === id)!;
}
