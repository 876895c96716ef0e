import { Ring } from './ring.js';
import type { ClientEvent, ConflictEvent, ConnectionEvent, OutboxEvent } from './source.js';
import { WriteTrails } from './write-trails.js';

/** How much the panel keeps. */
export interface StoreLimits {
  /** Writes (trails), outbox samples, connection changes and conflicts kept for the views. */
  readonly limit: number;
  /** Events kept for the exported trace. */
  readonly maxEvents: number;
}

/**
 * Everything the panel has seen since it was opened, sorted for the views, each list bounded so
 * that a busy app's panel does not grow without end. `version` moves on with every event, so a
 * view knows when it has something new to draw.
 */
export class TraceStore {
  readonly writes: WriteTrails;
  readonly #events: Ring<ClientEvent>;
  readonly #outbox: Ring<OutboxEvent>;
  readonly #connection: Ring<ConnectionEvent>;
  readonly #conflicts: Ring<ConflictEvent>;
  readonly #docs = new Set<string>();
  #version = 0;

  constructor(limits: StoreLimits) {
    this.writes = new WriteTrails(limits.limit);
    this.#events = new Ring(limits.maxEvents);
    this.#outbox = new Ring(limits.limit);
    this.#connection = new Ring(limits.limit);
    this.#conflicts = new Ring(limits.limit);
  }

  get version(): number {
    return this.#version;
  }

  /** Forgets everything and takes `events` (the client's history), oldest first. */
  reset(events: readonly ClientEvent[]): void {
    this.writes.clear();
    for (const ring of [this.#events, this.#outbox, this.#connection, this.#conflicts])
      ring.clear();
    this.#docs.clear();
    for (const event of events) this.add(event);
    this.#version++;
  }

  add(event: ClientEvent): void {
    this.#version++;
    this.#events.push(event);
    switch (event.type) {
      case 'write':
        this.#docs.add(event.doc);
        this.writes.add(event);
        break;
      case 'conflict':
        this.#docs.add(event.doc);
        this.#conflicts.push(event);
        break;
      case 'outbox':
        this.#outbox.push(event);
        break;
      case 'connection':
        this.#connection.push(event);
        break;
    }
  }

  /** The events kept for the trace, oldest first. */
  events(): ClientEvent[] {
    return this.#events.toArray();
  }

  outbox(): OutboxEvent[] {
    return this.#outbox.toArray();
  }

  connection(): ConnectionEvent[] {
    return this.#connection.toArray();
  }

  /** The conflicts (of `doc` alone if given), oldest first. */
  conflicts(doc?: string): ConflictEvent[] {
    const all = this.#conflicts.toArray();
    return doc === undefined ? all : all.filter((c) => c.doc === doc);
  }

  /** The documents that events named. */
  documents(): ReadonlySet<string> {
    return this.#docs;
  }
}
