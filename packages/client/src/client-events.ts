import type { Key } from '@helios/core';

/**
 * How far a write has travelled, as its trail in {@link ClientEvents} shows it:
 * - `pending`: applied to the in-memory replica (the mutator returned);
 * - `local`: committed to local storage (IndexedDB, or memory);
 * - `relay`: acknowledged by the home relay after its durable commit (`region` = its region);
 * - `region`: a peer region has it (`region` = that region), one event per region;
 * - `global`: every region has it;
 * - `failed`: refused (`error`).
 */
export type WriteStage = 'pending' | 'local' | 'relay' | 'region' | 'global' | 'failed';

/** One step of one own write's trail. */
export interface WriteEvent {
  readonly type: 'write';
  readonly doc: string;
  /** The write's dot, its identity everywhere: replica and sequence number. */
  readonly replica: string;
  readonly seq: number;
  readonly stage: WriteStage;
  readonly region?: string;
  readonly error?: { readonly code: string; readonly message: string };
  /** When, in ms on the client's clock. */
  readonly at: number;
}

/** A change of the client's connection to the relays. */
export interface ConnectionEvent {
  readonly type: 'connection';
  /**
   * `connecting` (dialling a relay), `online` (welcomed, with its region), `offline` (the app went
   * offline), `failover` (dialling another relay than the last one tried: `reason` names it),
   * `refused` (a relay refused the handshake: `reason` is `code: message`).
   */
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
  /**
   * `mv-siblings`: concurrent values stand side by side; `lww-overwrite`: concurrent LWW writes,
   * the greatest (wall, counter, replica) read; `concurrent-counter`: a remote change to a counter
   * that raced one of this client's writes no relay acknowledged yet.
   */
  readonly kind: 'mv-siblings' | 'lww-overwrite' | 'concurrent-counter';
  /** The map key, for maps (the outermost key of nested maps). */
  readonly key?: Key;
  /** LWW: the write that won, and the ones it beat. */
  readonly winner?: ConflictWrite;
  readonly losers?: readonly ConflictWrite[];
  /** MV: how many values stand side by side now. */
  readonly siblings?: number;
  /** Counters: the replicas whose changes raced. */
  readonly replicas?: readonly string[];
  readonly at: number;
}

/** The number of own writes no relay acknowledged yet changed. */
export interface OutboxEvent {
  readonly type: 'outbox';
  /** Writes not yet acknowledged by a relay, all documents. */
  readonly pending: number;
  readonly at: number;
}

/** What {@link ClientEvents} reports: for devtools, logs, tests. */
export type ClientEvent = WriteEvent | ConnectionEvent | ConflictEvent | OutboxEvent;

/** The client's typed event stream (`client.events`). */
export interface ClientEvents {
  /** Calls `listener` for every event from now on; returns the function that stops it. */
  subscribe(listener: (event: ClientEvent) => void): () => void;
  /** The last events (a bounded ring), oldest first: a panel opened late shows them. */
  history(): readonly ClientEvent[];
}

/** Events {@link ClientEvents.history} keeps by default. */
export const EVENT_HISTORY = 2_000;

/**
 * The event stream: a ring of the last events and the listeners. Emitting costs one slot write
 * when nobody listens; a listener that throws is isolated (the write path must not fail for a
 * devtools bug).
 */
export class ClientEventLog implements ClientEvents {
  readonly #ring: (ClientEvent | undefined)[];
  #next = 0;
  #full = false;
  readonly #listeners = new Set<(event: ClientEvent) => void>();

  constructor(capacity = EVENT_HISTORY) {
    this.#ring = new Array(Math.max(1, capacity));
  }

  emit(event: ClientEvent): void {
    this.#ring[this.#next] = event;
    this.#next = (this.#next + 1) % this.#ring.length;
    if (this.#next === 0) this.#full = true;
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch {
        // A faulty listener must not break the client; the others still hear the event.
      }
    }
  }

  subscribe(listener: (event: ClientEvent) => void): () => void {
    // Wrapped so that one function subscribed twice is called twice and stopped separately.
    const own = (event: ClientEvent) => listener(event);
    this.#listeners.add(own);
    return () => {
      this.#listeners.delete(own);
    };
  }

  history(): readonly ClientEvent[] {
    const ring = this.#ring;
    const head = this.#full ? ring.slice(this.#next) : [];
    return [...head, ...ring.slice(0, this.#next)] as ClientEvent[];
  }
}
