import { type DocumentId, type Value, valueEquals } from '@helios/core';
import type { PeerPresenceEntry, PresenceEntry } from '@helios/core/protocol';
import { RelayError } from './errors.js';

/** Where a node's presence changes go (see {@link PresenceHub}). */
export interface PresenceOutlet {
  /** To the subscribers of `doc` on this node, except socket `except`. */
  toSubscribers(doc: DocumentId, entries: readonly PresenceEntry[], except?: string): void;
  /** To the region's other nodes (none without Redis): entries of `region`. */
  toSiblings(region: string, entries: readonly PeerPresenceEntry[]): void;
  /** To the peer regions: entries of this region. */
  toPeers(entries: readonly PeerPresenceEntry[]): void;
}

/** How long entries live and how many there may be. */
export interface PresenceLimits {
  /** An entry not refreshed for this long is removed (ms). */
  readonly ttlMs: number;
  /** Entries of one region on one document. */
  readonly maxPerDocument: number;
  /** Entries this node holds in all, of every region (a backstop against a flooding peer). */
  readonly maxEntries: number;
}

interface HubEntry {
  readonly id: string;
  readonly region: string;
  readonly user?: string;
  readonly state: Value;
  readonly expiresAt: number;
  /**
   * What brought it: a client socket's id (this node's own entries), the feed stream of a peer
   * region, or undefined (a sibling node told): removed together when that goes away.
   */
  readonly source: string | object | undefined;
}

type Change = Pick<PeerPresenceEntry, 'id' | 'user' | 'state'>;

/**
 * The ephemeral presence of every document this node knows of: its own connections' entries,
 * its region's other nodes', and the peer regions'. Nothing of it is persisted. An entry goes
 * when its connection clears it or closes, when the peer link that brought it drops, or after
 * `ttlMs` without a refresh (each node sweeps its own copies, so a node that died without a word
 * costs its entries one TTL). Each change goes to this node's subscribers of the document (a
 * refresh of an unchanged state does not); this node's own changes and refreshes to its siblings
 * and the peer regions as well, batched per tick.
 */
export class PresenceHub {
  readonly #region: string;
  readonly #limits: PresenceLimits;
  readonly #now: () => number;
  readonly #outlet: PresenceOutlet;
  readonly #docs = new Map<DocumentId, Map<string, HubEntry>>();
  #size = 0;
  /** Changes of this node's own connections, for the siblings and peers at the next tick. */
  #outgoing: PeerPresenceEntry[] = [];
  readonly #sweeper: ReturnType<typeof setInterval>;

  constructor(region: string, limits: PresenceLimits, now: () => number, outlet: PresenceOutlet) {
    this.#region = region;
    this.#limits = limits;
    this.#now = now;
    this.#outlet = outlet;
    this.#sweeper = setInterval(() => this.sweep(), Math.min(limits.ttlMs / 4, 5_000));
    this.#sweeper.unref();
  }

  /** Entries held, of every document and region. */
  get size(): number {
    return this.#size;
  }

  /**
   * Connection `socket` of this node set (or, `state` undefined, cleared) its presence on `doc`.
   * @throws {RelayError} `too-large` when the document has `maxPerDocument` entries of this
   * region already, or the node `maxEntries`.
   */
  setLocal(doc: DocumentId, socket: string, user: string | undefined, state?: Value): void {
    const change: Change = {
      id: socket,
      ...(user !== undefined ? { user } : {}),
      ...(state !== undefined ? { state } : {}),
    };
    if (!this.#apply(doc, this.#region, change, socket, true)) return;
    this.#outgoing.push({ doc, ...change });
    if (this.#outgoing.length === 1) process.nextTick(() => this.#flushOutgoing());
  }

  /** Removes connection `socket`'s entry on `doc`, if it has one (it left, or closed). */
  leave(doc: DocumentId, socket: string): void {
    if (this.#docs.get(doc)?.get(key(this.#region, socket))?.source !== socket) return;
    this.setLocal(doc, socket, undefined);
  }

  /** Another node of this region told of `region`'s changes: this node's subscribers hear them. */
  fromSibling(region: string, entries: readonly PeerPresenceEntry[]): void {
    for (const e of entries) this.#apply(e.doc, region, e, undefined, false);
  }

  /**
   * Peer region `region` sent its changes through `source` (its feed stream): this node's
   * subscribers and siblings hear them. Entries past the caps are dropped.
   */
  fromPeer(region: string, entries: readonly PeerPresenceEntry[], source: object): void {
    // A peer calling itself this region would speak for this region's connections.
    if (region === this.#region) return;
    const applied = entries.filter((e) => this.#apply(e.doc, region, e, source, false));
    if (applied.length > 0) this.#outlet.toSiblings(region, applied);
  }

  /** The entries that came through `source` (a peer's feed stream that closed) go. */
  dropSource(source: object): void {
    for (const [doc, entries] of this.#docs) {
      for (const e of [...entries.values()]) {
        if (e.source !== source) continue;
        this.#apply(doc, e.region, { id: e.id }, source, false);
        this.#outlet.toSiblings(e.region, [{ doc, id: e.id }]);
      }
    }
  }

  /** Everyone's presence on `doc` but socket `except`'s, for a new subscriber. */
  snapshot(doc: DocumentId, except: string): PresenceEntry[] {
    const entries = this.#docs.get(doc);
    if (entries === undefined) return [];
    return [...entries.values()].filter((e) => e.source !== except).map(wireEntry);
  }

  /** This node's own connections' entries, for a peer region that (re)connected. */
  own(): PeerPresenceEntry[] {
    const own: PeerPresenceEntry[] = [];
    for (const [doc, entries] of this.#docs) {
      for (const e of entries.values()) {
        if (typeof e.source === 'string') own.push({ doc, ...peerChange(e) });
      }
    }
    return own;
  }

  /** Removes the entries past their TTL; each node's subscribers hear it from their node. */
  sweep(): void {
    const now = this.#now();
    for (const [doc, entries] of this.#docs) {
      for (const e of [...entries.values()]) {
        if (e.expiresAt <= now) this.#apply(doc, e.region, { id: e.id }, e.source, false);
      }
    }
  }

  close(): void {
    clearInterval(this.#sweeper);
  }

  /**
   * Sets or removes one entry and tells this node's subscribers; whether anything changed.
   * `strict`: over a cap throws (a client is told) instead of dropping (a peer's).
   */
  #apply(
    doc: DocumentId,
    region: string,
    change: Change,
    source: HubEntry['source'],
    strict: boolean,
  ): boolean {
    let entries = this.#docs.get(doc);
    const k = key(region, change.id);
    const old = entries?.get(k);
    if (change.state === undefined) {
      if (old === undefined) return false;
      entries!.delete(k);
      this.#size--;
      if (entries!.size === 0) this.#docs.delete(doc);
      this.#outlet.toSubscribers(doc, [{ id: change.id, region }], except(source));
      return true;
    }
    if (old === undefined && !this.#room(entries, region, strict)) return false;
    if (entries === undefined) {
      entries = new Map();
      this.#docs.set(doc, entries);
    }
    const user = change.user;
    const entry: HubEntry = {
      id: change.id,
      region,
      ...(user !== undefined ? { user } : {}),
      state: change.state,
      expiresAt: this.#now() + this.#limits.ttlMs,
      source: source ?? old?.source,
    };
    if (old === undefined) this.#size++;
    entries.set(k, entry);
    // A refresh of the same state only moves the expiry: subscribers pay nothing for it (the
    // siblings and peers still hear it, for their own copies' expiry).
    if (old === undefined || !valueEquals(old.state, entry.state)) {
      this.#outlet.toSubscribers(doc, [wireEntry(entry)], except(source));
    }
    return true;
  }

  /** Whether a new entry of `region` fits the caps. */
  #room(entries: Map<string, HubEntry> | undefined, region: string, strict: boolean): boolean {
    const { maxPerDocument, maxEntries } = this.#limits;
    let ofRegion = 0;
    for (const e of entries?.values() ?? []) if (e.region === region) ofRegion++;
    if (ofRegion < maxPerDocument && this.#size < maxEntries) return true;
    if (!strict) return false;
    throw new RelayError(
      'too-large',
      ofRegion >= maxPerDocument
        ? `this document has ${maxPerDocument} presence entries in this region already`
        : 'this relay holds as many presence entries as it may',
    );
  }

  #flushOutgoing(): void {
    const batch = this.#outgoing;
    this.#outgoing = [];
    this.#outlet.toSiblings(this.#region, batch);
    this.#outlet.toPeers(batch);
  }
}

function key(region: string, id: string): string {
  return `${region}\u0000${id}`;
}

/** A client's socket is not sent its own entry back. */
function except(source: HubEntry['source']): string | undefined {
  return typeof source === 'string' ? source : undefined;
}

function peerChange(e: HubEntry): Change {
  return { id: e.id, ...(e.user !== undefined ? { user: e.user } : {}), state: e.state };
}

function wireEntry(e: HubEntry): PresenceEntry {
  return { region: e.region, ...peerChange(e) };
}
