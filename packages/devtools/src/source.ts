// What the panel reads from a Helios client: the event stream and the open documents, as
// `@helios/client` defines them (issue #18). Only their types are imported: the panel adds no
// client code to a page, and any object of the same shape (a fake in tests) is a source too.
import type { ClientEvents, DocumentSnapshot } from '@helios/client';
import { DevtoolsError } from './devtools-error.js';

export type {
  ClientEvent,
  ClientEvents,
  ConflictEvent,
  ConflictWrite,
  ConnectionEvent,
  DocumentSnapshot,
  OutboxEvent,
  WriteEvent,
  WriteStage,
} from '@helios/client';

/** What the panel inspects: a `HeliosClient`, or anything of the same shape. */
export interface DevtoolsSource {
  readonly events: ClientEvents;
  /** Every open document. */
  inspect(): readonly DocumentSnapshot[];
}

/**
 * Whether `value` has the shape of a {@link DevtoolsSource} (an `events` stream with `subscribe`
 * and `history`, and `inspect`). Lets an app install the panel only with a client that has the
 * event stream, e.g. during an upgrade.
 */
export function isDevtoolsSource(value: unknown): value is DevtoolsSource {
  if (typeof value !== 'object' || value === null) return false;
  const { events, inspect } = value as { events?: unknown; inspect?: unknown };
  if (typeof inspect !== 'function' || typeof events !== 'object' || events === null) return false;
  const { subscribe, history } = events as { subscribe?: unknown; history?: unknown };
  return typeof subscribe === 'function' && typeof history === 'function';
}

/** `source` if it is a {@link DevtoolsSource}; a typed error naming `caller` otherwise. */
export function checkSource(source: unknown, caller: string): DevtoolsSource {
  if (!isDevtoolsSource(source)) {
    throw new DevtoolsError(
      'invalid-source',
      `${caller} needs a client with an event stream (\`events.subscribe\`, \`events.history\`) and \`inspect()\``,
    );
  }
  return source;
}
