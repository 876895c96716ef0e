import type { Value } from '@helios/core';
import type { Message, Presence } from '@helios/core/protocol';
import type { Observable, Subscription } from 'rxjs';
import type { Clock } from './clock.js';
import { PresenceHandle, type PresencePeer } from './presence-handle.js';
import type { ClientStatus } from './status.js';

/** The others on a document nobody else is on: one array, so a snapshot of it stays equal. */
const NOBODY: readonly PresencePeer[] = Object.freeze([]);

/** What the client's presence needs of the client. */
export interface ClientPresenceOptions {
  readonly clock: Clock;
  /** Sends if connected; whether it was sent. */
  readonly send: (message: Message) => boolean;
  readonly status$: Observable<ClientStatus>;
}

/**
 * The client's presence: its handles, and the others on every subscribed document as the relay
 * tells them (kept for documents without a handle too, since the relay sends a document's
 * presence once, after the subscription's `sync`). Dropped when the connection drops: the next
 * relay sends it all again when the documents subscribe, and each handle's state goes to it
 * once its document's `sync` has come.
 */
export class ClientPresence {
  readonly #options: ClientPresenceOptions;
  readonly #handles = new Map<string, PresenceHandle>();
  /** Per document, the others by region and id. */
  readonly #entries = new Map<string, Map<string, PresencePeer>>();
  /** Per document, {@link #entries} as an array, made once per change. */
  readonly #views = new Map<string, readonly PresencePeer[]>();
  /**
   * The documents this connection has a `sync` of: the relay takes presence only from their
   * subscribers, so a handle's state waits for it (and is sent again with each new one).
   */
  readonly #subscribed = new Set<string>();
  readonly #status: Subscription;

  constructor(options: ClientPresenceOptions) {
    this.#options = options;
    this.#status = options.status$.subscribe((status) => {
      if (status.connection !== 'online') this.#dropAll();
    });
  }

  /** The handle of `doc`: the same one every time. */
  handle<S extends Value>(doc: string): PresenceHandle<S> {
    let handle = this.#handles.get(doc);
    if (handle === undefined) {
      handle = new PresenceHandle(doc, {
        clock: this.#options.clock,
        send: (doc, state) =>
          this.#subscribed.has(doc) &&
          this.#options.send({
            kind: 'presence-set',
            doc,
            ...(state !== undefined ? { state } : {}),
          }),
        others: (doc) => this.#views.get(doc) ?? NOBODY,
      });
      this.#handles.set(doc, handle);
    }
    return handle as unknown as PresenceHandle<S>;
  }

  /** A relay's `presence` message: sets and removals of others on a document. */
  received(message: Presence): void {
    let entries = this.#entries.get(message.doc);
    if (entries === undefined) {
      entries = new Map();
      this.#entries.set(message.doc, entries);
    }
    const now = this.#options.clock.now();
    for (const e of message.entries) {
      const key = `${e.region}\u0000${e.id}`;
      if (e.state === undefined) entries.delete(key);
      else {
        const user = e.user !== undefined ? { user: e.user } : {};
        entries.set(key, { id: e.id, region: e.region, ...user, state: e.state, updatedAt: now });
      }
    }
    this.#changed(message.doc);
  }

  /** The relay answered a subscription of `doc` (its `sync`): the handle's state may go now. */
  subscribed(doc: string): void {
    this.#subscribed.add(doc);
    this.#handles.get(doc)?.resend();
  }

  close(): void {
    this.#status.unsubscribe();
    for (const handle of this.#handles.values()) handle.close();
    this.#entries.clear();
    this.#views.clear();
  }

  #dropAll(): void {
    this.#subscribed.clear();
    for (const doc of [...this.#entries.keys()]) {
      this.#entries.delete(doc);
      this.#changed(doc);
    }
  }

  #changed(doc: string): void {
    const entries = this.#entries.get(doc);
    if (entries === undefined || entries.size === 0) {
      this.#entries.delete(doc);
      this.#views.delete(doc);
    } else this.#views.set(doc, [...entries.values()]);
    this.#handles.get(doc)?.changed();
  }
}
