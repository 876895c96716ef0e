import type { CausalContext, CrdtState } from '@helios/core';
import { ClientEventLog, type ConnectionEvent } from './client-events.js';
import type { Clock } from './clock.js';
import { reportConflicts } from './conflict-events.js';
import type { AnyDocument } from './document-registry.js';
import { WriteTrail } from './write-trail.js';

export interface ClientObserverOptions {
  readonly clock: Clock;
  /** The region of the relay in use (a write's `relay` step happened there). */
  readonly homeRegion: () => string | null;
  /** This client's writes to a document that no relay acknowledged yet. */
  readonly unacknowledged: (doc: string) => CausalContext | undefined;
}

/**
 * What the client's parts tell `client.events`, translated into events: the write trail (through
 * receipts), connection changes, conflicts seen on merge, the outbox's size. Kept out of the
 * client so its facade stays a facade.
 */
export class ClientObserver {
  readonly log = new ClientEventLog();
  readonly trail: WriteTrail;
  readonly #options: ClientObserverOptions;
  /** The relay last dialled: dialling another one is a failover. */
  #dialled: string | null = null;
  #last: { state: ConnectionEvent['state']; url: string | null } | undefined;
  #pending = -1;

  constructor(options: ClientObserverOptions) {
    this.#options = options;
    this.trail = new WriteTrail(this.log, options.clock, options.homeRegion);
  }

  /** The connection's state changed (`RelayConnection.onState`). */
  state(state: 'online' | 'offline' | 'connecting', url: string | null): void {
    // 'online' is told with the relay's region once it welcomed us (see welcomed).
    if (state === 'online') return;
    if (state === 'offline') {
      this.#connection('offline', url);
      return;
    }
    const away = this.#dialled !== null && url !== this.#dialled;
    const from = this.#dialled;
    this.#dialled = url;
    if (away) this.#connection('failover', url, undefined, `from ${from}`);
    else this.#connection('connecting', url);
  }

  /** A relay welcomed us. */
  welcomed(url: string, region: string): void {
    this.#connection('online', url, region);
  }

  /** A relay refused the handshake (or the token function threw). */
  refused(code: string, message: string, url: string): void {
    this.#connection('refused', url, undefined, `${code}: ${message}`);
  }

  /** The outbox holds `total` unacknowledged writes: told when that changes. */
  outbox(total: number): void {
    if (total === this.#pending) return;
    this.#pending = total;
    this.log.emit({ type: 'outbox', pending: total, at: this.#options.clock.now() });
  }

  /** A merge brought `fresh` dots into `doc`: its conflicts, if any (`SyncSession.merged`). */
  readonly merged = (doc: AnyDocument, delta: CrdtState<unknown>, fresh: CausalContext): void => {
    const { clock, unacknowledged } = this.#options;
    try {
      reportConflicts(this.log, clock, doc, delta, fresh, unacknowledged(doc.id));
    } catch {
      // Describing conflicts is for people: it must never fail the merge that called it.
    }
  };

  #connection(
    state: ConnectionEvent['state'],
    url: string | null,
    region?: string,
    reason?: string,
  ): void {
    // A failed attempt reports 'connecting' again for the relay it was dialling: once is enough.
    const last = this.#last;
    if (state === 'connecting' && last?.state === state && last.url === url) return;
    this.#last = { state, url };
    this.log.emit({
      type: 'connection',
      state,
      ...(url !== null ? { url } : {}),
      ...(region !== undefined ? { region } : {}),
      ...(reason !== undefined ? { reason } : {}),
      at: this.#options.clock.now(),
    });
  }
}
