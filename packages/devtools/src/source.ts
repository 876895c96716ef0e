import { DevtoolsError } from './devtools-error.js';

// What the panel reads from a Helios client: the event stream and the open documents, exactly as
// `@helios/client` defines them (issue #18). The panel declares them here, structurally, so that
// it depends on no client package: a `HeliosClient` is a `DevtoolsSource` as it is, and so is any
// object of the same shape (a fake in tests, a client of another version with the same stream).

/**
 * How far a write has come: `pending` (applied to the in-memory replica), `local` (committed to
 * local storage), `relay` (acknowledged by the home relay after its durable commit), `region` (a
 * peer region has it: one event per region), `global` (every region has it), or `failed`.
 */
export type WriteStage = 'pending' | 'local' | 'relay' | 'region' | 'global' | 'failed';

/** One step of one write, identified everywhere by its dot (`replica`, `seq`). */
export interface WriteEvent {
  readonly type: 'write';
  readonly doc: string;
  readonly replica: string;
  readonly seq: number;
  readonly stage: WriteStage;
  /** `relay`: the home region; `region`: the region that has it now. */
  readonly region?: string;
  /** `failed`: why the write was refused. */
  readonly error?: { readonly code: string; readonly message: string };
  /** Milliseconds, the client's clock (`Date.now()`). */
  readonly at: number;
}

/** A change of the client's connection to its relays. */
export interface ConnectionEvent {
  readonly type: 'connection';
  readonly state: 'connecting' | 'online' | 'offline' | 'failover' | 'refused';
  readonly url?: string;
  readonly region?: string;
  readonly reason?: string;
  readonly at: number;
}

/** A write as a conflict shows it: who wrote it, and its hybrid-clock time. */
export interface ConflictWrite {
  readonly replica: string;
  readonly wall: number;
  readonly counter: number;
}

/** A conflict seen when a remote delta was merged (or a local write raced a remote one). */
export interface ConflictEvent {
  readonly type: 'conflict';
  readonly doc: string;
  readonly kind: 'mv-siblings' | 'lww-overwrite' | 'concurrent-counter';
  /** The map key, for maps. */
  readonly key?: string | number;
  /** LWW: the write that won (the greatest `(wall, counter, replica)`). */
  readonly winner?: ConflictWrite;
  /** LWW: the write(s) it beat. */
  readonly losers?: readonly ConflictWrite[];
  /** MV: how many values stand side by side now. */
  readonly siblings?: number;
  /** Counters: the replicas whose changes raced. */
  readonly replicas?: readonly string[];
  readonly at: number;
}

/** The outbox's size: writes not yet acknowledged by a relay, all documents. */
export interface OutboxEvent {
  readonly type: 'outbox';
  readonly pending: number;
  readonly at: number;
}

/** Everything the client's event stream reports. */
export type ClientEvent = WriteEvent | ConnectionEvent | ConflictEvent | OutboxEvent;

/** The client's event stream (`client.events`). */
export interface ClientEvents {
  /** Calls `listener` for every event from now on; returns the function that stops it. */
  subscribe(listener: (event: ClientEvent) => void): () => void;
  /** The last events (a bounded ring), oldest first: a panel opened late shows them. */
  history(): readonly ClientEvent[];
}

/** A document as the panel shows it (`client.inspect()`). */
export interface DocumentSnapshot {
  readonly id: string;
  /** The type's name, e.g. `'or-map<quantity>'`. */
  readonly type: string;
  /** The value's JSON form. */
  readonly value: unknown;
  /** The causal context: for each replica, the ranges of sequence numbers seen. */
  readonly context: readonly {
    readonly replica: string;
    readonly ranges: readonly [number, number][];
  }[];
}

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
