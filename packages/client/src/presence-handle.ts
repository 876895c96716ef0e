import type { Value } from '@helios/core';
import { assertPresenceState } from '@helios/core/protocol';
import type { Clock, TimerHandle } from './clock.js';

/** Another connection's presence on a document, as its region's relay stamped it. */
export interface PresencePeer<S extends Value = Value> {
  /** The connection's id, unique across regions (a tab, a device). */
  readonly id: string;
  /** The region of the relay it is connected to. */
  readonly region: string;
  /** Its authenticated user, if the relay has one (anonymous relays say `anonymous`). */
  readonly user?: string;
  /** What it set: not checked against `S` (another app version may send another shape). */
  readonly state: S;
  /**
   * When this client last heard of a change of it (its clock, ms): relays do not forward
   * refreshes of an unchanged state.
   */
  readonly updatedAt: number;
}

/** Sends of one handle are at least this far apart (ms); sets in between are coalesced. */
export const PRESENCE_MIN_INTERVAL_MS = 100;
/** A state set is sent again this often (ms), so the relays' 30-s TTL does not expire it. */
export const PRESENCE_REFRESH_MS = 15_000;

/** What a handle needs of the client's presence (see ClientPresence). */
export interface PresencePort {
  readonly clock: Clock;
  /** Sends the handle's state (undefined: a clear); whether it went out. */
  send(doc: string, state: Value | undefined): boolean;
  /** The others on `doc` as last heard. */
  others(doc: string): readonly PresencePeer[];
}

/**
 * Presence on one document: what this client shows others ({@link set}, {@link clear}) and what
 * they show ({@link others}). Ephemeral: never stored, gone when the client closes or its
 * connection drops, and sent again on every new connection. The document must be open (the
 * relay takes presence only from a subscriber). Get it with `client.presence(doc)`.
 *
 * @typeParam S - The shape of the states this app sets, e.g. `{ name: string; looking: string }`.
 */
export class PresenceHandle<S extends Value = Value> {
  /** The document's id. */
  readonly doc: string;
  readonly #port: PresencePort;
  readonly #listeners = new Set<(others: readonly PresencePeer<S>[]) => void>();
  #mine: S | undefined;
  #lastSent = Number.NEGATIVE_INFINITY;
  #timer: TimerHandle | undefined;

  /** @internal Created by the client. */
  constructor(doc: string, port: PresencePort) {
    this.doc = doc;
    this.#port = port;
  }

  /** This client's state, as last set; `undefined` when cleared or never set. */
  get mine(): S | undefined {
    return this.#mine;
  }

  /** The others on this document (never this client's own connection); a new array per change. */
  get others(): readonly PresencePeer<S>[] {
    return this.#port.others(this.doc) as readonly PresencePeer<S>[];
  }

  /**
   * Shows `state` to the document's other subscribers, now or, within 100 ms of the last send,
   * coalesced with the sets after it; sent again every 15 s while set.
   * @throws {InvalidArgumentError} unless `state` is a JSON value of at most 1 KiB encoded.
   */
  set(state: S): void {
    assertPresenceState(state);
    this.#mine = state;
    this.#schedule();
  }

  /** Stops showing a state: the others see this client leave. */
  clear(): void {
    if (this.#mine === undefined) return;
    this.#mine = undefined;
    this.#schedule();
  }

  /** Calls `listener` with {@link others} after each change; returns the unsubscribe function. */
  subscribe(listener: (others: readonly PresencePeer<S>[]) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** @internal The others changed. */
  changed(): void {
    const others = this.others;
    for (const listener of [...this.#listeners]) listener(others);
  }

  /** @internal A new subscription: the relay knows nothing of this client's state yet. */
  resend(): void {
    if (this.#mine === undefined) return;
    this.#lastSent = Number.NEGATIVE_INFINITY;
    this.#schedule();
  }

  /** @internal The client closed. */
  close(): void {
    this.#port.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#listeners.clear();
  }

  /** Sends now if the last send is far enough back, or at the earliest moment it is. */
  #schedule(): void {
    const clock = this.#port.clock;
    clock.clearTimeout(this.#timer);
    const wait = this.#lastSent + PRESENCE_MIN_INTERVAL_MS - clock.now();
    if (wait > 0) {
      this.#timer = clock.setTimeout(() => this.#send(), wait);
      return;
    }
    this.#send();
  }

  #send(): void {
    const clock = this.#port.clock;
    this.#timer = undefined;
    // Not connected, or the document not subscribed yet: its subscription sends it (resend).
    if (!this.#port.send(this.doc, this.#mine)) return;
    this.#lastSent = clock.now();
    if (this.#mine !== undefined) {
      this.#timer = clock.setTimeout(() => this.#send(), PRESENCE_REFRESH_MS);
    }
  }
}
