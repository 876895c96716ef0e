import type { HelloAuth } from '@helios/core/protocol';
import type { Transport, TransportConnection, TransportEvents } from '@helios/transport';
import { type Clock, systemClock } from '../clock.js';

/** A relay's refusal of a handshake, with its wire code (`unauthenticated`…). */
export interface MemoryRefusal {
  readonly code: string;
  readonly message: string;
}

/**
 * The relay's end of one in-memory connection. The relay sets {@link onMessage} (and
 * {@link onClose}) when it admits the connection, and answers through {@link send}.
 */
export interface MemoryPeer {
  /** The client's handshake. */
  readonly hello: HelloAuth;
  /** Sends an encoded protocol message to the client. */
  send(bytes: Uint8Array): void;
  /** Ends the connection from the relay's side; the client sees it closed. */
  close(): void;
  /** Called with each encoded message the client sends. */
  onMessage: ((bytes: Uint8Array) => void) | undefined;
  /** Called when the connection ends from the client's or the network's side. */
  onClose: (() => void) | undefined;
}

/**
 * A relay as {@link MemoryTransport} reaches it: called for each handshake that reaches it;
 * returns a refusal, or admits the connection by setting the peer's handlers and returning
 * undefined.
 */
export type MemoryEndpoint = (
  peer: MemoryPeer,
) => MemoryRefusal | undefined | Promise<MemoryRefusal | undefined>;

/** Which way a message travels, for {@link MemoryTransport.drop}. */
export type MemoryDirection = 'to-relay' | 'to-client';

/**
 * The network between a {@link MemoryTransport}'s clients and its relays: when each message and
 * handshake arrives, whether it is lost, who can reach whom. test-kit's `LinkModel` is one
 * (latency, jitter, loss and partitions from one seed). Its nodes are each relay's URL and
 * `'client'`, the clients' side of every connection. A connection is a stream: a lost message
 * breaks it, and it ends when either direction becomes unreachable.
 */
export interface MemoryNetwork {
  /** Whether what `from` sends reaches `to` now. */
  reachable(from: string, to: string): boolean;
  /**
   * When a message sent at `now` (clock ms) over the ordered link `from → to` arrives, no
   * earlier than the one before it: one time, or none when it is lost.
   */
  plan(from: string, to: string, now: number, ordered: true): readonly number[];
  /** Calls `listener` whenever reachability may have changed; returns its unsubscribe. */
  onChange?(listener: () => void): unknown;
}

export interface MemoryTransportOptions {
  /** Times the delivery of every message and handshake. Default: the system clock. */
  readonly clock?: Clock;
  /**
   * One-way delay of every message and handshake (ms) when no `network` is given. Default 0:
   * delivered in a microtask.
   */
  readonly latencyMs?: number;
  /** Decides every delivery instead of `latencyMs`: a simulated network (see {@link MemoryNetwork}). */
  readonly network?: MemoryNetwork;
}

/** The clients' side of every connection, as a {@link MemoryNetwork} knows it. */
const CLIENT = 'client';

interface Link {
  readonly url: string;
  readonly peer: MemoryPeer;
  readonly events: TransportEvents;
  open: boolean;
  ended: boolean;
  /** What the relay sent while admitting the connection (its welcome): delivered once open. */
  readonly early: Uint8Array[];
}

/**
 * A {@link Transport} whose relays live in the same process (see automerge-repo's
 * `DummyNetworkAdapter`): a relay {@link listen}s on a URL, clients dial it, and both ends
 * exchange the same encoded protocol messages Socket.IO would carry. The test controls the
 * network: a {@link MemoryNetwork} (or {@link latencyMs}), {@link drop} and {@link partition}.
 * Delivery keeps each connection's order and never happens during the call that sent.
 */
export class MemoryTransport implements Transport {
  readonly #clock: Clock;
  readonly #network: MemoryNetwork;
  readonly #endpoints = new Map<string, MemoryEndpoint>();
  readonly #links = new Set<Link>();
  readonly #cut = new Set<string>();
  #drop: ((url: string, direction: MemoryDirection, bytes: Uint8Array) => boolean) | undefined;
  #admitting = 0;
  /** One-way delay of every message and handshake from now on (ms), without a `network`. */
  latencyMs: number;

  constructor(options: MemoryTransportOptions = {}) {
    this.#clock = options.clock ?? systemClock;
    this.latencyMs = options.latencyMs ?? 0;
    this.#network = options.network ?? {
      reachable: () => true,
      plan: (_from, _to, now) => [now + this.latencyMs],
    };
    this.#network.onChange?.(() => {
      for (const link of this.#links) if (this.#unreachable(link.url)) this.#end(link, true);
    });
  }

  /** Makes `endpoint` answer at `url` (a relay starts). */
  listen(url: string, endpoint: MemoryEndpoint): void {
    this.#endpoints.set(url, endpoint);
  }

  /** Stops answering at `url` and ends its connections (a relay goes down). */
  unlisten(url: string): void {
    this.#endpoints.delete(url);
    for (const link of this.#links) if (link.url === url) this.#end(link, true);
  }

  /**
   * Cuts the network to `url` (or heals it): while cut, open connections to it end, handshakes
   * fail as unreachable and probes say no.
   */
  partition(url: string, cut = true): void {
    if (!cut) {
      this.#cut.delete(url);
      return;
    }
    this.#cut.add(url);
    for (const link of this.#links) if (link.url === url) this.#end(link, true);
  }

  /** Drops the messages `filter` picks (from now on; undefined drops none). */
  drop(
    filter: ((url: string, direction: MemoryDirection, bytes: Uint8Array) => boolean) | undefined,
  ): void {
    this.#drop = filter;
  }

  /**
   * Handshakes a relay is still answering (its endpoint's promise is pending: a token check in
   * a worker thread, say). A manual clock should not jump ahead while there are any.
   */
  get admitting(): number {
    return this.#admitting;
  }

  /** Connections open now (to `url`, if given). */
  openConnections(url?: string): number {
    let n = 0;
    for (const link of this.#links) if (link.open && (url === undefined || link.url === url)) n++;
    return n;
  }

  connect(url: string, hello: HelloAuth, events: TransportEvents): TransportConnection {
    const link: Link = {
      url,
      events,
      open: false,
      ended: false,
      early: [],
      peer: {
        hello,
        send: (bytes) => {
          if (link.ended || this.#drop?.(url, 'to-client', bytes)) return;
          if (!link.open) {
            link.early.push(bytes);
            return;
          }
          this.#carry(link, url, CLIENT, () => {
            if (link.open) events.message(bytes);
          });
        },
        close: () => this.#end(link, true),
        onMessage: undefined,
        onClose: undefined,
      },
    };
    this.#links.add(link);
    const handshake = this.#arrival(CLIENT, url);
    this.#deliver(async () => {
      if (link.ended) return;
      const endpoint = this.#endpoints.get(url);
      if (endpoint === undefined || handshake === undefined || this.#unreachable(url)) {
        this.#refuse(link, { message: `${url} is unreachable` });
        return;
      }
      this.#admitting++;
      let refusal: MemoryRefusal | undefined;
      try {
        refusal = await endpoint(link.peer);
      } finally {
        this.#admitting--;
      }
      if (link.ended) return;
      if (refusal) {
        this.#refuse(link, refusal);
        return;
      }
      link.open = true;
      for (const bytes of link.early.splice(0)) if (link.open) events.message(bytes);
    }, handshake);
    return {
      get connected() {
        return link.open;
      },
      send: (bytes) => {
        if (!link.open || this.#drop?.(url, 'to-relay', bytes)) return;
        this.#carry(link, CLIENT, url, () => {
          if (link.open) link.peer.onMessage?.(bytes);
        });
      },
      close: () => this.#end(link, false),
    };
  }

  async probe(url: string): Promise<boolean> {
    return this.#endpoints.has(url) && !this.#unreachable(url);
  }

  /** True while the network keeps the clients and `url` apart, either way. */
  #unreachable(url: string): boolean {
    return (
      this.#cut.has(url) ||
      !this.#network.reachable(CLIENT, url) ||
      !this.#network.reachable(url, CLIENT)
    );
  }

  #refuse(link: Link, error: { code?: string; message: string }): void {
    link.ended = true;
    this.#links.delete(link);
    link.events.refused(error);
  }

  /** Ends a connection: the relay learns of it; the client too unless it closed it itself. */
  #end(link: Link, tellClient: boolean): void {
    if (link.ended) return;
    const wasOpen = link.open;
    link.ended = true;
    link.open = false;
    this.#links.delete(link);
    // The client learns of it when a message from the relay would have arrived.
    const notice = this.#arrival(link.url, CLIENT);
    if (!wasOpen) {
      if (tellClient)
        this.#deliver(() => link.events.refused({ message: `${link.url} went away` }), notice);
      return;
    }
    link.peer.onClose?.();
    if (tellClient) this.#deliver(() => link.events.closed(), notice);
  }

  /** Carries one message of `link` as the network decides: a lost one breaks the connection. */
  #carry(link: Link, from: string, to: string, task: () => void): void {
    const ms = this.#arrival(from, to);
    if (ms === undefined) this.#end(link, true);
    else this.#deliver(task, ms);
  }

  /** In how many ms what is sent now from `from` to `to` arrives, or undefined: lost. */
  #arrival(from: string, to: string): number | undefined {
    const now = this.#clock.now();
    const at = this.#network.plan(from, to, now, true)[0];
    return at === undefined ? undefined : at - now;
  }

  /** Runs `task` in `ms`, or in a microtask when that is 0 (or undefined). */
  #deliver(task: () => void | Promise<void>, ms = 0): void {
    if (ms <= 0) queueMicrotask(() => void task());
    else this.#clock.setTimeout(() => void task(), ms);
  }
}
